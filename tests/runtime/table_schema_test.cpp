// table_schema: definition checks and the durable round trip.
#include "runtime/core/table_schema.hpp"

#include <capnp/message.h>
#include <doctest/doctest.h>

namespace sluice {
namespace {

std::vector<column_def> order_columns() {
  return {{"UserId", column_type::string},
          {"OrderId", column_type::string},
          {"price", column_type::double_},
          {"timestamp", column_type::bigint}};
}

TEST_CASE("a table schema round-trips through its durable form") {
  auto schema = table_schema::create(7, "OrderSource", order_columns(), {"UserId", "OrderId"}, 8);
  REQUIRE(schema.ok());
  capnp::MallocMessageBuilder message;
  schema->to_wire(message.initRoot<wire::TableDef>());
  auto back = table_schema::from_wire(message.getRoot<wire::TableDef>().asReader());
  REQUIRE(back.ok());
  CHECK(back->describe() == schema->describe());
  CHECK(back->id() == 7);
  CHECK(back->describe() ==
        "(UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT, PRIMARY KEY (UserId, "
        "OrderId)) WITH (channels = 8)");
}

TEST_CASE("bad table definitions are rejected with the reason") {
  auto no_key = table_schema::create(1, "t", order_columns(), {}, 8);
  CHECK(absl::IsInvalidArgument(no_key.status()));
  auto wrong_case = table_schema::create(1, "t", order_columns(), {"userid"}, 8);
  CHECK(wrong_case.status().message().find("did you mean 'UserId'") != std::string::npos);
  auto twice = table_schema::create(1, "t", {{"a", column_type::bigint}, {"a", column_type::bigint}},
                                    {"a"}, 8);
  CHECK(twice.status().message().find("defined twice") != std::string::npos);
  auto channels = table_schema::create(1, "t", order_columns(), {"UserId"}, 0);
  CHECK(channels.status().message().find("channels") != std::string::npos);
}

}  // namespace
}  // namespace sluice
