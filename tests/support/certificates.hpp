// A certificate authority of a cluster, made for one test with the openssl command, and the
// certificates it signs: every file the --tls-cert, --tls-key and --tls-ca options take.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "remote/tls.hpp"
#include "tests/support/run.hpp"

namespace sluice::testing {

class certificate_authority {
 public:
  // Makes the authority's key and self-signed certificate in `dir`, named after `name`.
  certificate_authority(std::filesystem::path dir, std::string name)
      : dir_(std::move(dir)), name_(std::move(name)) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", "/CN=" + name_, "-keyout", path(name_ + ".key"),
             "-out", path(name_ + ".pem")});
  }

  // A key and a certificate for `node`, signed by this authority.
  remote::tls_files sign(const std::string& node) const {
    remote::tls_files files{path(node + ".pem"), path(node + ".key"), path(name_ + ".pem")};
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-subj", "/CN=" + node, "-keyout", files.key, "-out", path(node + ".csr")});
    openssl({"x509", "-req", "-in", path(node + ".csr"), "-CA", files.authority, "-CAkey",
             path(name_ + ".key"), "-CAcreateserial", "-days", "2", "-out", files.certificate});
    std::filesystem::permissions(files.key, std::filesystem::perms::owner_read |
                                                std::filesystem::perms::owner_write);
    return files;
  }

 private:
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  static void openssl(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "/usr/bin/openssl");
    auto made = run(arguments);
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  }

  std::filesystem::path dir_;
  std::string name_;
};

}  // namespace sluice::testing
