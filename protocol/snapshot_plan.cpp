#include "protocol/snapshot_plan.hpp"

#include "operators/group_table.hpp"

namespace sluice::protocol {

std::vector<bool> imaged_key_groups(const std::vector<bool>& owns, uint64_t checkpoint,
                                    bool first_snapshot) {
  std::vector<bool> imaged(owns.size());
  for (uint32_t g = 0; g < owns.size(); ++g)
    imaged[g] = owns[g] && (first_snapshot || g % ops::snapshot_slices ==
                                                  checkpoint % ops::snapshot_slices);
  return imaged;
}

}  // namespace sluice::protocol
