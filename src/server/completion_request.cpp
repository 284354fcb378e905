// Parsing and validation of completion requests (see completion_request.h).
#include "server/completion_request.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "server/api_error.h"
#include "tokenizer/utf8.h"

namespace dc::server {
namespace {

using nlohmann::json;

// JSON nesting deeper than this is no request of ours (and would only cost stack and time).
constexpr int kMaxDepth = 16;

const char* type_name(const json& v) {
  return v.type_name();
}

int64_t integer_field(const json& v, const char* name, int64_t lo, int64_t hi) {
  if (!v.is_number_integer())
    bad_request(name, "invalid_type", "'{}' must be an integer, got {}", name, type_name(v));
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
    bad_request(name, "invalid_value", "'{}' must be in [{}, {}]", name, lo, hi);
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi)
    bad_request(name, "invalid_value", "'{}' must be in [{}, {}], got {}", name, lo, hi, x);
  return x;
}

double number_field(const json& v, const char* name, double lo, double hi) {
  if (!v.is_number()) bad_request(name, "invalid_type", "'{}' must be a number, got {}", name, type_name(v));
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    bad_request(name, "invalid_value", "'{}' must be in [{}, {}], got {}", name, lo, hi, x);
  return x;
}

bool bool_field(const json& v, const char* name) {
  if (!v.is_boolean())
    bad_request(name, "invalid_type", "'{}' must be a boolean, got {}", name, type_name(v));
  return v.get<bool>();
}

std::string string_field(const json& v, const char* name) {
  if (!v.is_string()) bad_request(name, "invalid_type", "'{}' must be a string, got {}", name, type_name(v));
  return v.get<std::string>();
}

std::vector<std::string> stop_field(const json& v, const ServerLimits& limits) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const json& s : v) out.push_back(string_field(s, "stop"));
  } else {
    bad_request("stop", "invalid_type", "'stop' must be a string or an array of strings, got {}",
                type_name(v));
  }
  if (int(out.size()) > limits.max_stop)
    bad_request("stop", "invalid_value", "'stop' holds {} strings; at most {} are allowed", out.size(),
                limits.max_stop);
  for (const std::string& s : out) {
    if (s.empty()) bad_request("stop", "invalid_value", "'stop' strings must not be empty");
    if (s.size() > limits.max_stop_bytes)
      bad_request("stop", "invalid_value", "'stop' strings must be at most {} bytes", limits.max_stop_bytes);
  }
  return out;
}

// messages: [{"role": "system", "content": ...}]? then [{"role": "user", "content": ...}].
void messages_field(const json& v, TextRequest& text) {
  if (!v.is_array())
    bad_request("messages", "invalid_type", "'messages' must be an array, got {}", type_name(v));
  if (v.empty()) bad_request("messages", "invalid_value", "'messages' must hold at least one message");
  std::string system;
  bool have_system = false, have_user = false;
  for (size_t i = 0; i < v.size(); ++i) {
    const json& m = v[i];
    if (!m.is_object())
      bad_request("messages", "invalid_type", "messages[{}] must be an object, got {}", i, type_name(m));
    for (const auto& [key, value] : m.items()) {
      if (key != "role" && key != "content")
        bad_request("messages", "unknown_field",
                    "messages[{}] has an unknown field '{}' (known: role, content)", i, key);
    }
    if (!m.contains("role") || !m.contains("content"))
      bad_request("messages", "missing_field", "messages[{}] needs 'role' and 'content'", i);
    const std::string role = string_field(m["role"], "messages.role");
    if (!m["content"].is_string())
      bad_request("messages", "invalid_type", "messages[{}].content must be a string, got {}", i,
                  type_name(m["content"]));
    const std::string content = m["content"].get<std::string>();
    if (role == "system" && i == 0) {
      system = content;
      have_system = true;
    } else if (role == "user" && !have_user && i + 1 == v.size()) {
      text.prompt = content;
      have_user = true;
    } else {
      bad_request(
          "messages", "unsupported_value",
          "messages[{}] (role '{}'): the instruct template holds one turn: an optional system message, "
          "then one user message",
          i, role);
    }
  }
  if (!have_user) bad_request("messages", "invalid_value", "'messages' must end with a user message");
  text.chat = true;
  if (have_system) {
    if (system.empty()) bad_request("messages", "invalid_value", "the system message must not be empty");
    text.system = system;
  }
}

json parse_body(std::string_view body) {
  if (!tok::utf8_is_valid(body)) bad_request("", "invalid_utf8", "the request body is not valid UTF-8");
  json::parser_callback_t depth_check = [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth)
      bad_request("", "invalid_json", "the request nests JSON deeper than {} levels", kMaxDepth);
    return true;
  };
  json j;
  try {
    j = json::parse(body, depth_check);
  } catch (const json::exception& e) {
    bad_request("", "invalid_json", "the request body is not valid JSON: {}", e.what());
  }
  if (!j.is_object())
    bad_request("", "invalid_json", "the request body must be a JSON object, got {}", type_name(j));
  return j;
}

}  // namespace

CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint,
                                           const ServerLimits& limits, Arch arch) {
  const json j = parse_body(body);
  CompletionRequest r;
  r.endpoint = endpoint;
  const bool chat = endpoint == Endpoint::ChatCompletions;
  GenerationParams& p = r.params;
  p.temperature = 0.2f;
  p.top_p = 0.95f;
  p.max_new_tokens = std::min(128, limits.max_tokens);
  std::string alg(arch_traits(arch).default_alg), cache = "none", precision = "exact";
  bool have_steps = false, have_block = false, have_prompt = false;
  for (const auto& [key, v] : j.items()) {
    if (key == "model") {
      r.model = string_field(v, "model");
    } else if (key == "prompt" && !chat) {
      r.text.prompt = string_field(v, "prompt");
      have_prompt = true;
    } else if (key == "messages" && chat) {
      messages_field(v, r.text);
      have_prompt = true;
    } else if (key == "max_tokens") {
      p.max_new_tokens = int(integer_field(v, "max_tokens", 1, limits.max_tokens));
    } else if (key == "temperature") {
      p.temperature = float(number_field(v, "temperature", 0, 2));
    } else if (key == "top_p") {
      p.top_p = float(number_field(v, "top_p", 0, 1));
      if (p.top_p <= 0) bad_request("top_p", "invalid_value", "'top_p' must be in (0, 1]");
    } else if (key == "top_k") {
      p.top_k = int(integer_field(v, "top_k", 0, std::numeric_limits<int>::max()));
    } else if (key == "seed") {
      if (!v.is_number_unsigned())
        bad_request("seed", "invalid_type", "'seed' must be an integer in [0, 2^64), got {}", v.dump());
      p.seed = v.get<uint64_t>();
    } else if (key == "stop") {
      r.stop = stop_field(v, limits);
    } else if (key == "n") {
      r.n = int(integer_field(v, "n", 1, limits.max_n));
    } else if (key == "stream") {
      r.stream = bool_field(v, "stream");
    } else if (key == "stream_canvas") {
      r.stream_canvas = bool_field(v, "stream_canvas");
    } else if (key == "steps") {
      p.steps = int(integer_field(v, "steps", 1, limits.max_tokens));
      have_steps = true;
    } else if (key == "alg") {
      alg = string_field(v, "alg");
    } else if (key == "alg_temp") {
      p.alg_temp = float(number_field(v, "alg_temp", 0, 1e6));
    } else if (key == "block_length") {
      p.block_length = int(integer_field(v, "block_length", 0, limits.max_tokens));
      have_block = true;
    } else if (key == "eps") {
      p.eps = float(number_field(v, "eps", 0, 1));
    } else if (key == "threshold") {
      p.threshold = float(number_field(v, "threshold", 0, 1));
    } else if (key == "factor") {
      p.factor = float(number_field(v, "factor", 0, 1e6));
    } else if (key == "early_stop") {
      p.early_stop = bool_field(v, "early_stop");
    } else if (key == "cache") {
      cache = string_field(v, "cache");
    } else if (key == "precision") {
      precision = string_field(v, "precision");
    } else {
      bad_request(key, "unknown_field", "unknown field '{}' in a {} request", key,
                  chat ? "chat completion" : "completion");
    }
  }
  if (!have_prompt) {
    if (chat) bad_request("messages", "missing_field", "a chat completion request needs 'messages'");
    bad_request("prompt", "missing_field", "a completion request needs 'prompt'");
  }
  if (!chat && r.text.prompt.empty()) bad_request("prompt", "invalid_value", "'prompt' must not be empty");
  if (r.stream_canvas && !r.stream)
    bad_request("stream_canvas", "invalid_value", "'stream_canvas' needs 'stream'");
  if (!have_steps) p.steps = p.max_new_tokens;
  if (!have_block) p.block_length = default_block_length(arch, p.max_new_tokens);
  try {
    p.alg = parse_alg(alg);
    p.cache = parse_cache(cache);
    p.precision = parse_precision(precision);
    validate(p);
  } catch (const Error& e) {
    bad_request("", "invalid_value", "{}", e.what());
  }
  return r;
}

std::string batch_key(const CompletionRequest& r) {
  const GenerationParams& p = r.params;
  return fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} {}", r.text.chat, p.max_new_tokens, p.steps,
                     alg_name(p.alg), p.temperature, p.top_p, p.top_k, p.alg_temp, p.eps, p.block_length,
                     p.threshold, p.factor, p.early_stop, cache_name(p.cache), precision_name(p.precision));
}

}  // namespace dc::server
