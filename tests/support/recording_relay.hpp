// A TCP relay on 127.0.0.1 that passes every connection on to `upstream` and keeps a copy of the
// bytes that went either way: what anyone on the wire between two processes could read.
#pragma once

#include <boost/asio.hpp>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "remote/address.hpp"

namespace sluice::testing {

class recording_relay {
 public:
  explicit recording_relay(remote::address upstream) : upstream_(std::move(upstream)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~recording_relay() {
    io_.stop();
    thread_.join();
  }

  remote::address at() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }

  std::string recorded() const {
    std::lock_guard lock(mutex_);
    return recorded_;
  }

 private:
  using tcp = boost::asio::ip::tcp;

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket client) {
      if (ec) return;
      auto server = std::make_shared<tcp::socket>(io_);
      auto near = std::make_shared<tcp::socket>(std::move(client));
      server->async_connect(
          tcp::endpoint(boost::asio::ip::make_address(upstream_.host), upstream_.port),
          [this, near, server](boost::system::error_code ec) {
            if (ec) return;
            pump(near, server);
            pump(server, near);
          });
      accept();
    });
  }

  // Copies what `from` sends to `to` until either closes.
  void pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
    auto buffer = std::make_shared<std::array<char, 16384>>();
    from->async_read_some(boost::asio::buffer(*buffer), [this, from, to, buffer](
                                                            boost::system::error_code ec,
                                                            size_t size) {
      boost::system::error_code ignored;
      if (ec) {
        to->shutdown(tcp::socket::shutdown_send, ignored);
        return;
      }
      {
        std::lock_guard lock(mutex_);
        recorded_.append(buffer->data(), size);
      }
      boost::asio::async_write(*to, boost::asio::buffer(buffer->data(), size),
                               [this, from, to, buffer](boost::system::error_code ec, size_t) {
                                 if (!ec) pump(from, to);
                               });
    });
  }

  remote::address upstream_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
  mutable std::mutex mutex_;
  std::string recorded_;
  std::thread thread_;
};

}  // namespace sluice::testing
