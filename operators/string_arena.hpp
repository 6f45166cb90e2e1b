// Storage for the strings an expression makes while it evaluates (CAST to STRING and the like).
// A kept string stays valid until clear(); the caller clears between rows or batches, and the
// memory is reused, so a steady stream of rows allocates nothing once the arena has grown.
// Not thread-safe: one arena per evaluating thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace sluice::ops {

class string_arena {
 public:
  string_arena() = default;
  string_arena(string_arena&&) = default;
  string_arena& operator=(string_arena&&) = default;

  // Copies `s` into the arena (a std::string converts); the view is valid until clear().
  std::string_view keep(std::string_view s) {
    if (s.empty()) return {};
    char* out = allocate(s.size());
    std::memcpy(out, s.data(), s.size());
    return {out, s.size()};
  }

  // Invalidates every view keep() returned; the blocks are kept for reuse.
  void clear() {
    current_ = 0;
    used_ = 0;
  }

 private:
  static constexpr std::size_t first_block = 4096;
  static constexpr std::size_t largest_block = std::size_t{1} << 20;

  struct block {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };

  char* allocate(std::size_t n) {
    for (;; ++current_, used_ = 0) {
      if (current_ == blocks_.size()) {
        std::size_t size = blocks_.empty() ? first_block
                                           : std::min(blocks_.back().size * 2, largest_block);
        size = std::max(size, n);
        blocks_.push_back({std::make_unique_for_overwrite<char[]>(size), size});
      }
      block& b = blocks_[current_];
      if (b.size - used_ >= n) {
        char* out = b.data.get() + used_;
        used_ += n;
        return out;
      }
    }
  }

  std::vector<block> blocks_;
  std::size_t current_ = 0;  // the block being filled
  std::size_t used_ = 0;     // bytes used in blocks_[current_]
};

}  // namespace sluice::ops
