// The OpenAI error body (see api_error.h).
#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace dc::server {

std::string error_body(const ApiError& e) {
  nlohmann::ordered_json inner;
  inner["message"] = e.what();
  inner["type"] = e.type;
  inner["param"] = e.param.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.param);
  inner["code"] = e.code.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.code);
  nlohmann::ordered_json j;
  j["error"] = std::move(inner);
  // A message may quote a client's invalid UTF-8: replace it rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dc::server
