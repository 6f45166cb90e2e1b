#include "protocol/snapshot_plan.hpp"

#include "operators/group_table.hpp"

namespace sluice::protocol {

store::slot_range owned_slots(const std::vector<bool>& owns, uint32_t first) {
  uint32_t begin = 0;
  while (begin < owns.size() && !owns[begin]) ++begin;
  uint32_t end = begin;
  while (end < owns.size() && owns[end]) ++end;
  if (begin == end) return {first, first};
  return {first + begin, first + end};
}

std::vector<bool> imaged_key_groups(const std::vector<bool>& owns, uint64_t checkpoint,
                                    bool first_snapshot) {
  std::vector<bool> imaged(owns.size());
  for (uint32_t g = 0; g < owns.size(); ++g)
    imaged[g] = owns[g] && (first_snapshot || g % ops::snapshot_slices ==
                                                  checkpoint % ops::snapshot_slices);
  return imaged;
}

}  // namespace sluice::protocol
