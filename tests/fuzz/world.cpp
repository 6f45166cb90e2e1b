#include "tests/fuzz/world.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "operators/script.hpp"

namespace sluice::fuzz {
namespace {

std::string example(const std::string& name) {
  std::ifstream in(std::string(SLUICE_EXAMPLES_SQL) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

template <typename T>
T or_abort(absl::StatusOr<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "fuzz world: %s: %s\n", what, result.status().ToString().c_str());
    std::abort();
  }
  return *std::move(result);
}

std::filesystem::path temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/sluice-fuzz-XXXXXX";
  return mkdtemp(pattern.data());
}

world make_world() {
  static const std::filesystem::path dir = temp_dir();
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  });
  world w;
  w.db = or_abort(store::store::open({dir / "data"}), "open the store");
  or_abort(ops::run_script(example("orders_schema.sql"), "orders_schema.sql", *w.db),
           "orders_schema.sql");
  w.orders = or_abort(w.db->find_table("OrderSource"), "OrderSource");
  auto window = or_abort(ops::run_script(example("seed_10s_window.sql"), "seed", *w.db), "seed");
  auto keyed = or_abort(ops::run_script(example("user_totals_stream.sql"), "keyed", *w.db), "keyed");
  if (window.jobs.empty() || keyed.jobs.empty()) std::abort();
  w.window_job = window.jobs.front();
  w.keyed_job = keyed.jobs.front();
  return w;
}

}  // namespace

world& the_world() {
  static world w = make_world();
  return w;
}

}  // namespace sluice::fuzz
