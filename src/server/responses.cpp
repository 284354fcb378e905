// OpenAI-shaped JSON bodies (see responses.h).
#include "server/responses.h"

#include <nlohmann/json.hpp>

namespace dc::server {
namespace {

using nlohmann::ordered_json;

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ordered_json head(const ResponseHeader& h, const char* object) {
  ordered_json j;
  j["id"] = h.id;
  j["object"] = object;
  j["created"] = h.created;
  j["model"] = h.model;
  return j;
}

ordered_json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

bool chat(const ResponseHeader& h) {
  return h.endpoint == Endpoint::ChatCompletions;
}

}  // namespace

std::string completion_body(const ResponseHeader& h, std::span<const ChoiceOutput> choices,
                            const Usage& usage) {
  ordered_json j = head(h, chat(h) ? "chat.completion" : "text_completion");
  ordered_json arr = ordered_json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    ordered_json c;
    c["index"] = i;
    if (chat(h)) {
      c["message"] = {{"role", "assistant"}, {"content", choices[i].text}};
    } else {
      c["text"] = choices[i].text;
      c["logprobs"] = nullptr;
    }
    c["finish_reason"] = choices[i].finish_reason;
    arr.push_back(std::move(c));
  }
  j["choices"] = std::move(arr);
  j["usage"] = usage_json(usage);
  return dump(j);
}

std::string chunk_body(const ResponseHeader& h, int index, const std::string& delta, bool first,
                       const std::optional<std::string>& finish_reason) {
  ordered_json j = head(h, chat(h) ? "chat.completion.chunk" : "text_completion");
  ordered_json c;
  c["index"] = index;
  if (chat(h)) {
    ordered_json d = ordered_json::object();
    if (first) d["role"] = "assistant";
    if (!delta.empty() || first) d["content"] = delta;
    c["delta"] = std::move(d);
  } else {
    c["text"] = delta;
    c["logprobs"] = nullptr;
  }
  c["finish_reason"] = finish_reason ? ordered_json(*finish_reason) : ordered_json(nullptr);
  j["choices"] = ordered_json::array({std::move(c)});
  return dump(j);
}

std::string usage_chunk_body(const ResponseHeader& h, const Usage& usage) {
  ordered_json j = head(h, chat(h) ? "chat.completion.chunk" : "text_completion");
  j["choices"] = ordered_json::array();
  j["usage"] = usage_json(usage);
  return dump(j);
}

std::string canvas_body(const ResponseHeader& h, int step, int total_steps,
                        const std::vector<std::vector<std::optional<std::string>>>& slots,
                        const std::vector<std::vector<int32_t>>& fresh) {
  ordered_json j = head(h, "diffusion.canvas");
  j["step"] = step;
  j["total_steps"] = total_steps;
  ordered_json arr = ordered_json::array();
  for (size_t i = 0; i < slots.size(); ++i) {
    ordered_json s = ordered_json::array();
    for (const auto& t : slots[i]) s.push_back(t ? ordered_json(*t) : ordered_json(nullptr));
    arr.push_back({{"index", i}, {"slots", std::move(s)}, {"fresh", fresh[i]}});
  }
  j["choices"] = std::move(arr);
  return dump(j);
}

std::string models_body(const std::string& model, int64_t created) {
  ordered_json m = {{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "diffucoder"}};
  ordered_json j = {{"object", "list"}, {"data", ordered_json::array({m})}};
  return dump(j);
}

}  // namespace dc::server
