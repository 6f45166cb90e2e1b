#include "remote/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "remote/secret.hpp"

namespace sluice::remote::handshake {
namespace {

std::string fresh_nonce() {
  std::string nonce(nonce_size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), nonce_size) != 1)
    throw std::runtime_error("no random bytes for a handshake nonce");
  return nonce;
}

// HMAC-SHA256(key, role | nonces).
std::string mac(const std::string& key, std::string_view role, const std::string& nonces) {
  std::string message(role);
  message += nonces;
  std::string out(mac_size, '\0');
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       reinterpret_cast<unsigned char*>(out.data()), &size);
  return out;
}

}  // namespace

bool is_hello(std::string_view first_bytes) { return first_bytes.substr(0, magic.size()) == magic; }

listener::listener(std::string key) : key_(std::move(key)), nonce_(fresh_nonce()) {
  hello_ = std::string(magic) + nonce_;
}

bool listener::accept(std::string_view proof) {
  if (proof.size() != proof_size) return false;
  std::string nonces = nonce_ + std::string(proof.substr(0, nonce_size));
  if (!same_secret(proof.substr(nonce_size), mac(key_, "connector", nonces))) return false;
  answer_ = mac(key_, "listener", nonces);
  return true;
}

connector::connector(std::string key) : key_(std::move(key)) {}

absl::Status connector::respond(std::string_view hello) {
  if (hello.size() != hello_size || !is_hello(hello))
    return absl::PermissionDeniedError("the peer did not open with a Sluice handshake");
  std::string nonce = fresh_nonce();
  nonces_ = std::string(hello.substr(magic.size())) + nonce;
  proof_ = nonce + mac(key_, "connector", nonces_);
  return absl::OkStatus();
}

bool connector::verify(std::string_view answer) const {
  return !nonces_.empty() && same_secret(answer, mac(key_, "listener", nonces_));
}

}  // namespace sluice::remote::handshake
