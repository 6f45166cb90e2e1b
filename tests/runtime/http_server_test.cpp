// The HTTP server without a role: requests decoded as the handler sees them, bounded bodies,
// a throwing handler, streamed answers, and a stop that ends connections still open.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "runtime/http/server.hpp"
#include "tests/support/http_client.hpp"

namespace sluice::http {
namespace {

using testing::http_call;

TEST_CASE("the handler sees the decoded path, query and body, and its answer goes back") {
  auto started = server::start("127.0.0.1", 0, [](const request& r) {
    if (r.path == "/fail") throw std::runtime_error("broken handler");
    response out;
    out.content_type = "text/plain";
    out.body = r.method + " " + r.path + " q=" + (r.query.count("q") ? r.query.at("q") : "-") +
               " body=" + r.body;
    return out;
  }, 64);
  REQUIRE(started.ok());
  const uint16_t port = (*started)->port();
  auto echo = http_call(port, "POST", "/a%20b+c?q=x%2By+z&other", "hello");
  CHECK(echo.status == 200);
  CHECK(echo.content_type == "text/plain");
  CHECK(echo.body == "POST /a b+c q=x+y z body=hello");
  CHECK(http_call(port, "POST", "/big", std::string(65, 'x')).status == 413);
  auto failed = http_call(port, "GET", "/fail");
  CHECK(failed.status == 500);
  CHECK(failed.body.find("broken handler") != std::string::npos);
  CHECK(server::start("127.0.0.1", port, [](const request&) { return response{}; }).status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE("a streamed answer sends its chunks until it ends, and stopping ends it") {
  std::atomic<int> chunks{0};
  auto started = server::start("127.0.0.1", 0, [&](const request&) {
    response out;
    out.content_type = "text/event-stream";
    out.body = "first\n";
    out.stream = [&](std::string& chunk) {
      if (++chunks > 3) return false;
      chunk = "more\n";
      return true;
    };
    return out;
  });
  REQUIRE(started.ok());
  auto streamed = http_call((*started)->port(), "GET", "/events");
  CHECK(streamed.body == "first\nmore\nmore\nmore\n");

  // A stream that never ends is ended by the server's stop.
  auto endless = server::start("127.0.0.1", 0, [](const request&) {
    response out;
    out.stream = [](std::string& chunk) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      chunk = ".";
      return true;
    };
    return out;
  });
  REQUIRE(endless.ok());
  std::thread client([port = (*endless)->port()] { http_call(port, "GET", "/"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  endless->reset();  // returns once the connection has ended
  client.join();
}

}  // namespace
}  // namespace sluice::http
