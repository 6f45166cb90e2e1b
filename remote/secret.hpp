// The shared key of a cluster (`--secret-file F`). A process given one lets no peer in that cannot
// prove it holds the same key (remote/gate.hpp), and one listening beyond loopback must have one.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <string>
#include <string_view>

#include "remote/address.hpp"

namespace sluice::remote {

// The shell command that makes a key file, for messages.
inline constexpr std::string_view how_to_make_secret =
    "head -c 32 /dev/urandom | base64 > sluice.key && chmod 600 sluice.key";

// A key file's content without surrounding whitespace. InvalidArgument naming the file when it
// cannot be read, is readable by group or others, or holds fewer than 16 bytes.
absl::StatusOr<std::string> read_secret_file(const std::string& path);

// InvalidArgument saying `what` at `path` may be read by group or others, and the chmod that
// mends it; OK when only its owner may, or when it does not exist (its reader says so then).
absl::Status check_owner_only(const std::string& path, std::string_view what);

// Whether `given` equals `secret`, in time that does not depend on where they differ.
bool same_secret(std::string_view given, std::string_view secret);

// Whether only this machine reaches HOST: localhost, 127.0.0.0/8, ::1.
bool is_loopback(std::string_view host);

// InvalidArgument saying how to make a key when `at` is beyond loopback and `secret` is empty;
// `option` names the command-line option that gave `at`.
absl::Status check_exposure(const address& at, std::string_view secret, std::string_view option);

}  // namespace sluice::remote
