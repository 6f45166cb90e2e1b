#include "runtime/store/tunnel.hpp"

namespace sluice::store {

std::string_view tunnel_type_name(tunnel_type type) {
  switch (type) {
    case tunnel_type::stream: return "stream";
    case tunnel_type::base: return "base";
    case tunnel_type::base_and_stream: return "base_and_stream";
  }
  return "?";
}

}  // namespace sluice::store
