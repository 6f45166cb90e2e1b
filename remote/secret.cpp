#include "remote/secret.hpp"

#include <absl/strings/ascii.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "runtime/core/status.hpp"

namespace sluice::remote {

absl::StatusOr<std::string> read_secret_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return absl::InvalidArgumentError(fmt::format("cannot read the secret file {}", path));
  SLUICE_RETURN_IF_ERROR(check_owner_only(path, "the secret file"));
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  if (!in) return absl::InvalidArgumentError(fmt::format("cannot read the secret file {}", path));
  std::string key(absl::StripAsciiWhitespace(content.str()));
  if (key.size() < 16)
    return absl::InvalidArgumentError(
        fmt::format("the secret file {} holds {} bytes, fewer than 16; make one with: {}", path,
                    key.size(), how_to_make_secret));
  return key;
}

absl::Status check_owner_only(const std::string& path, std::string_view what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || (info.st_mode & 077) == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(fmt::format("{} {} may be read by others (mode {:o}): chmod "
                                                "600 {}",
                                                what, path, info.st_mode & 0777, path));
}

bool same_secret(std::string_view given, std::string_view secret) {
  return given.size() == secret.size() &&
         CRYPTO_memcmp(given.data(), secret.data(), given.size()) == 0;
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

absl::Status check_exposure(const address& at, std::string_view secret, std::string_view option) {
  if (!secret.empty() || is_loopback(at.host)) return absl::OkStatus();
  return absl::InvalidArgumentError(fmt::format(
      "{} {} is reachable from other machines, and without a key anyone there could read and "
      "write every table: make one with `{}` and give every process of the cluster "
      "--secret-file sluice.key",
      option, at.to_string(), how_to_make_secret));
}

}  // namespace sluice::remote
