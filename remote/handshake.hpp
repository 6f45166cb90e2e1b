// How two Sluice processes prove to each other that they hold the cluster's key, before the
// connection carries anything else. The key itself never crosses the wire, and each side's nonce is
// fresh, so a recorded exchange proves nothing on another connection:
//
//   listener -> connector  hello:  "SLUICE/1", the listener's nonce (32 bytes)
//   connector -> listener  proof:  the connector's nonce (32), HMAC-SHA256(key, "connector" | both nonces)
//   listener -> connector  answer: HMAC-SHA256(key, "listener" | both nonces)
//
// A listener that does not accept the proof closes the connection without an answer; a connector
// that does not accept the answer closes it too. Plain classes: the sockets are remote/gate.cpp's.
#pragma once

#include <absl/status/status.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::remote::handshake {

inline constexpr std::string_view magic = "SLUICE/1";
inline constexpr size_t nonce_size = 32;
inline constexpr size_t mac_size = 32;
inline constexpr size_t hello_size = magic.size() + nonce_size;
inline constexpr size_t proof_size = nonce_size + mac_size;
inline constexpr size_t answer_size = mac_size;

// Whether a connection's first bytes are a hello (a listener that asks for a key).
bool is_hello(std::string_view first_bytes);

class listener {
 public:
  explicit listener(std::string key);
  // The hello to send, with a fresh nonce.
  const std::string& hello() const { return hello_; }
  // Whether `proof` shows the connector holds the key; the answer to send then.
  bool accept(std::string_view proof);
  const std::string& answer() const { return answer_; }

 private:
  std::string key_, nonce_, hello_, answer_;
};

class connector {
 public:
  explicit connector(std::string key);
  // The proof for a listener's hello. PermissionDenied when `hello` is not one.
  absl::Status respond(std::string_view hello);
  const std::string& proof() const { return proof_; }
  // Whether `answer` shows the listener holds the key.
  bool verify(std::string_view answer) const;

 private:
  std::string key_, nonces_, proof_;
};

}  // namespace sluice::remote::handshake
