// The HTTP server of Sluice's long-running roles (`sluice run`, `sluice coordinator`): HTTP/1.1
// on Boost.Beast over Asio, one thread per connection, the role's handler answering each
// request. No CAF here: a role's handler reaches its actors and store as it needs.
//
// Contract: the handler is called from connection threads, several at once; it must be
// thread-safe and must not throw. A request body over the server's limit is answered 413 without
// reaching the handler; a connection silent for 30 s is closed. Destroying the server stops
// accepting, closes every connection and waits for their threads.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::http {

struct request {
  std::string method;                        // GET, POST, ...
  std::string path;                          // percent-decoded, without the query
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps its last value
  std::map<std::string, std::string> headers;  // by lower-case name
  std::string body;
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;  // beside Content-Type
  std::string body;
  // A streamed answer (server-sent events): after the body, each chunk it gives is sent as it
  // comes, until it returns false or the client goes; it may block between chunks.
  std::function<bool(std::string& chunk)> stream;
};

// A response with a JSON body {"error": message}.
response error(unsigned status, std::string_view message);

using handler = std::function<response(const request&)>;

class server {
 public:
  // Serves on host:port (port 0: any free one). Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<server>> start(const std::string& host, uint16_t port,
                                                       handler handle,
                                                       size_t max_body = size_t{1} << 20);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  uint16_t port() const { return port_; }

 private:
  struct state;
  explicit server(std::unique_ptr<state> s, uint16_t port);
  std::unique_ptr<state> state_;
  uint16_t port_;
};

}  // namespace sluice::http
