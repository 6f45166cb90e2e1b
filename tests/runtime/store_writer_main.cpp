// A child process for the crash test: writes batches of new rows into a store, batch after batch
// from batch FIRST on, and prints each batch's number once its write has returned. The test
// kills it with SIGKILL at some moment and checks what survived.
//   store_writer DIR FIRST ROWS_PER_BATCH
#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/store/store.hpp"

int main(int argc, char** argv) {
  using namespace sluice;
  if (argc != 4) {
    std::fprintf(stderr, "usage: store_writer DIR FIRST ROWS_PER_BATCH\n");
    return 2;
  }
  auto db = store::store::open({argv[1]});
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  std::vector<store::catalog_op> ops = {store::create_table_op{
      "T",
      {{"k", column_type::string}, {"batch", column_type::bigint}, {"i", column_type::bigint}},
      {"k"},
      8,
      /*if_not_exists=*/true}};
  if (!(*db)->apply_catalog(ops).ok()) return 1;
  auto table = (*db)->find_table("T").value();
  long rows = std::atol(argv[3]);
  for (long b = std::atol(argv[2]);; ++b) {
    row_batch batch(table);
    for (long i = 0; i < rows; ++i) {
      size_t row = batch.add_row(change_op::put);
      batch.set(row, 0, "k" + std::to_string(b) + "_" + std::to_string(i));
      batch.set(row, 1, int64_t{b});
      batch.set(row, 2, int64_t{i});
    }
    auto written = (*db)->write(batch);
    if (!written.ok()) {
      std::fprintf(stderr, "%s\n", written.status().ToString().c_str());
      return 1;
    }
    std::printf("%ld\n", b);
    std::fflush(stdout);
  }
}
