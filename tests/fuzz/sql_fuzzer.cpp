// The SQL parser and planner on any text, in the dialect the first byte's low bit picks: a
// statement plans or is refused with an error, never a crash. Nothing is written: catalog
// statements and jobs are planned only.
#include <absl/time/time.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "operators/planner.hpp"
#include "operators/session.hpp"
#include "runtime/sql/parser.hpp"
#include "tests/fuzz/world.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto statements = sql::parse_script(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!statements.ok()) return 0;
  auto& world = fuzz::the_world();
  const auto start = absl::FromUnixSeconds(1700000000);
  const auto dialect = data[0] & 1 ? ops::sql_dialect::flink : ops::sql_dialect::spark;
  ops::session names(*world.db, dialect);
  for (const auto& statement : *statements) {
    if (auto* external = std::get_if<sql::create_external_table>(&statement))
      (void)names.add_external_table(*external);
    else if (auto* connector = std::get_if<sql::create_connector_table>(&statement))
      (void)names.add_connector_table(*connector);
    else if (auto* scan = std::get_if<sql::create_scan>(&statement))
      (void)names.add_scan(*scan);
    else if (auto* stream = std::get_if<sql::create_stream>(&statement))
      (void)ops::plan_job(*stream, names, start);
    else if (auto* insert = std::get_if<sql::insert_select>(&statement))
      (void)ops::plan_job(*insert, names, start);
    else if (auto* select = std::get_if<sql::select_statement>(&statement))
      (void)ops::plan_query(*select, names, start);
  }
  return 0;
}
