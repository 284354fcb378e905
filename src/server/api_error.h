// Errors a client causes, in the OpenAI error shape: an HTTP status and
//   {"error": {"message": "...", "type": "...", "param": "..." | null, "code": "..." | null}}.
// Thrown by request parsing and the scheduler, caught once in the HTTP handlers (server.cpp).
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace dc::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, std::string param, std::string code, const std::string& message)
      : std::runtime_error(message),
        status(status),
        type(std::move(type)),
        param(std::move(param)),
        code(std::move(code)) {}

  int status;         // HTTP status: 400, 401, 404, 413, 429, 500, 503, 504
  std::string type;   // "invalid_request_error", "authentication_error", "rate_limit_error", "server_error"
  std::string param;  // the request field at fault; empty: none (null)
  std::string code;   // a machine-readable reason ("unknown_field", "queue_full"); empty: none (null)
};

// A 400 invalid_request_error naming the field: bad_request("max_tokens", "invalid_value", "...", args).
template <typename... Args>
[[noreturn]] void bad_request(std::string param, std::string code, fmt::format_string<Args...> f,
                              Args&&... args) {
  throw ApiError(400, "invalid_request_error", std::move(param), std::move(code),
                 fmt::format(f, std::forward<Args>(args)...));
}

// The JSON body of an error (one line).
std::string error_body(const ApiError& e);

}  // namespace dc::server
