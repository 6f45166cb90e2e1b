// A minimal HTTP/1.1 client for tests of `--http`: one request per connection, the whole answer
// read until the server closes.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "tests/support/free_port.hpp"

namespace sluice::testing {

struct http_reply {
  int status = 0;  // 0: no answer (nothing listens, or the connection broke)
  std::string content_type;
  std::string body;
};

// `headers`: more header lines, each ending in "\r\n".
inline http_reply http_call(uint16_t port, const std::string& method, const std::string& target,
                            const std::string& body = {}, const std::string& headers = {}) {
  http_reply reply;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval patience{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  sockaddr_in address = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return reply;
  }
  std::string out = fmt::format(
      "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
      method, target, body.size(), headers);
  out += body;
  for (size_t sent = 0; sent < out.size();) {
    auto n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before it has read everything
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buffer[65536];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) in.append(buffer, n);
  close(fd);
  auto head_end = in.find("\r\n\r\n");
  if (in.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return reply;
  reply.status = std::stoi(in.substr(9, 3));
  const std::string head = in.substr(0, head_end);
  if (auto at = head.find("Content-Type: "); at != std::string::npos)
    reply.content_type = head.substr(at + 14, head.find("\r\n", at) - at - 14);
  reply.body = in.substr(head_end + 4);
  return reply;
}

}  // namespace sluice::testing
