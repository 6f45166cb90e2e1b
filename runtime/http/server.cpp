#include "runtime/http/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include <cctype>
#include <set>

namespace sluice::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr int idle_seconds = 30;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded; in a query, '+' is a space too.
std::string percent_decoded(std::string_view text, bool query) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_digit(text[i + 1]), lo = hex_digit(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(query && text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

request parse_target(std::string_view target) {
  request out;
  auto question = target.find('?');
  out.path = percent_decoded(target.substr(0, question), false);
  if (question == std::string_view::npos) return out;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    out.query[percent_decoded(pair.substr(0, eq), true)] =
        eq == std::string_view::npos ? std::string() : percent_decoded(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

response error(unsigned status, std::string_view message) {
  response out;
  out.status = status;
  out.body = nlohmann::json{{"error", message}}.dump() + "\n";
  return out;
}

struct server::state {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  handler handle;
  size_t max_body = 0;
  std::atomic<bool> stopping{false};
  std::thread accepting;
  std::mutex mu;
  std::map<int, std::thread> connections;  // by socket descriptor
  std::set<int> finished;                   // connections whose threads have returned

  void reap() {  // mu held
    for (int fd : finished) {
      auto it = connections.find(fd);
      if (it == connections.end()) continue;
      it->second.join();
      connections.erase(it);
    }
    finished.clear();
  }

  void serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(max_body);
      parser.header_limit(16 << 10);
      bhttp::read(socket, buffer, parser, ec);
      if (ec == bhttp::error::body_limit) {
        send(socket, error(413, fmt::format("the request body is over {} bytes", max_body)),
             false, ec);
        break;
      }
      if (ec) break;
      auto& in = parser.get();
      request r = parse_target(std::string_view(in.target().data(), in.target().size()));
      r.method = std::string(in.method_string());
      for (const auto& field : in) {
        std::string name(field.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        r.headers[name] = std::string(field.value());
      }
      r.body = std::move(in.body());
      response out;
      try {
        out = handle(r);
      } catch (const std::exception& e) {
        out = error(500, e.what());
      }
      if (out.stream) {
        send_stream(socket, out, ec);
        break;
      }
      const bool keep = in.keep_alive();
      send(socket, out, keep, ec);
      if (ec || !keep) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  static void send(tcp::socket& socket, const response& out, bool keep_alive,
                   beast::error_code& ec) {
    bhttp::response<bhttp::string_body> reply{static_cast<bhttp::status>(out.status), 11};
    reply.set(bhttp::field::server, "sluice");
    reply.set(bhttp::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) reply.set(name, value);
    reply.keep_alive(keep_alive);
    reply.body() = out.body;
    reply.prepare_payload();
    bhttp::write(socket, reply, ec);
  }

  // The head and body, then the stream's chunks as they come; the connection closes after.
  void send_stream(tcp::socket& socket, response& out, beast::error_code& ec) {
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(out.status), 11};
    head.set(bhttp::field::server, "sluice");
    head.set(bhttp::field::content_type, out.content_type);
    head.set(bhttp::field::cache_control, "no-cache");
    head.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    bhttp::write_header(socket, serializer, ec);
    std::string chunk = std::move(out.body);
    while (!ec && !stopping) {
      if (!chunk.empty()) asio::write(socket, asio::buffer(chunk), ec);
      chunk.clear();
      if (ec || !out.stream(chunk)) break;
    }
  }

  void accept_loop() {
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec || stopping) break;
      timeval idle{idle_seconds, 0};
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
      const int fd = socket.native_handle();
      std::lock_guard lock(mu);
      reap();
      // The socket closes after its descriptor is marked finished, so that the destructor never
      // shuts down a descriptor the process has reused.
      connections.emplace(fd, std::thread([this, fd, s = std::move(socket)]() mutable {
        serve(s);
        std::lock_guard done(mu);
        finished.insert(fd);
      }));
    }
  }
};

absl::StatusOr<std::unique_ptr<server>> server::start(const std::string& host, uint16_t port,
                                                      handler handle, size_t max_body) {
  auto s = std::make_unique<state>();
  s->handle = std::move(handle);
  s->max_body = max_body;
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("'{}' is not an IP address", host));
  tcp::endpoint endpoint(address, port);
  s->acceptor.open(endpoint.protocol(), ec);
  if (!ec) s->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(endpoint, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return absl::UnavailableError(
        fmt::format("cannot serve HTTP on {}:{}: {}", host, port, ec.message()));
  const uint16_t bound = s->acceptor.local_endpoint().port();
  s->accepting = std::thread([raw = s.get()] { raw->accept_loop(); });
  return std::unique_ptr<server>(new server(std::move(s), bound));
}

server::server(std::unique_ptr<state> s, uint16_t port) : state_(std::move(s)), port_(port) {}

server::~server() {
  state_->stopping = true;
  // Wakes the blocked accept and every blocked read.
  ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);
  state_->accepting.join();
  std::map<int, std::thread> connections;
  {
    std::lock_guard lock(state_->mu);
    for (auto& [fd, thread] : state_->connections)
      if (!state_->finished.contains(fd)) ::shutdown(fd, SHUT_RDWR);
    connections.swap(state_->connections);
  }
  for (auto& [fd, thread] : connections) thread.join();
}

}  // namespace sluice::http
