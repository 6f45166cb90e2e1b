#include "remote/handshake.hpp"

#include <doctest/doctest.h>

namespace sluice::remote::handshake {
namespace {

const std::string key = "a-key-of-more-than-16-bytes";

}  // namespace

TEST_CASE("both ends that hold the key accept each other") {
  listener server(key);
  connector client(key);
  REQUIRE(client.respond(server.hello()).ok());
  REQUIRE(server.accept(client.proof()));
  CHECK(client.verify(server.answer()));
}

TEST_CASE("a listener refuses a connector with another key, and gives no answer") {
  listener server(key);
  connector client("another-key-of-16-bytes-or-more");
  REQUIRE(client.respond(server.hello()).ok());
  CHECK_FALSE(server.accept(client.proof()));
  CHECK(server.answer().empty());
}

TEST_CASE("a connector refuses a listener with another key") {
  listener server("another-key-of-16-bytes-or-more");
  connector client(key);
  REQUIRE(client.respond(server.hello()).ok());
  // The listener's check fails too; an impostor would answer anyway.
  CHECK_FALSE(server.accept(client.proof()));
  listener impostor("another-key-of-16-bytes-or-more");
  connector other("another-key-of-16-bytes-or-more");
  REQUIRE(other.respond(impostor.hello()).ok());
  REQUIRE(impostor.accept(other.proof()));
  CHECK_FALSE(client.verify(impostor.answer()));
}

TEST_CASE("a recorded proof does not open another connection") {
  listener first(key);
  connector client(key);
  REQUIRE(client.respond(first.hello()).ok());
  REQUIRE(first.accept(client.proof()));
  listener second(key);
  CHECK(second.hello() != first.hello());
  CHECK_FALSE(second.accept(client.proof()));
}

TEST_CASE("a recorded answer does not convince another connector") {
  listener server(key);
  connector first(key);
  REQUIRE(first.respond(server.hello()).ok());
  REQUIRE(server.accept(first.proof()));
  connector second(key);
  REQUIRE(second.respond(server.hello()).ok());
  CHECK_FALSE(second.verify(server.answer()));
}

TEST_CASE("short, long and garbled messages are refused") {
  listener server(key);
  connector client(key);
  CHECK_FALSE(client.respond("").ok());
  CHECK_FALSE(client.respond(server.hello().substr(0, hello_size - 1)).ok());
  CHECK_FALSE(client.respond(std::string(hello_size, 'x')).ok());
  CHECK_FALSE(client.verify(std::string(answer_size, '\0')));
  REQUIRE(client.respond(server.hello()).ok());
  std::string proof = client.proof();
  CHECK_FALSE(server.accept(proof.substr(0, proof_size - 1)));
  CHECK_FALSE(server.accept(proof + "x"));
  proof[proof_size - 1] ^= 1;
  CHECK_FALSE(server.accept(proof));
  CHECK_FALSE(client.verify(""));
}

TEST_CASE("a hello is told from other first bytes") {
  CHECK(is_hello(listener(key).hello()));
  CHECK(is_hello("SLUICE/1"));
  CHECK_FALSE(is_hello(std::string(8, '\0')));
  CHECK_FALSE(is_hello("SLUICE"));
}

}  // namespace sluice::remote::handshake
