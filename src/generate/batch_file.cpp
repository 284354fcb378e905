#include "generate/batch_file.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/lines.h"
#include "core/mapped_file.h"

namespace dc {

std::vector<TextRequest> parse_batch_file(std::string_view text, const std::string& path,
                                          const TextRequest& defaults) {
  std::vector<TextRequest> reqs;
  for_each_nonblank_line(text, [&](std::string_view line, int lineno) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw_error("{}:{}: not a JSON object", path, lineno);
    if (!j.contains("prompt") || !j["prompt"].is_string())
      throw_error("{}:{}: missing string field \"prompt\"", path, lineno);
    TextRequest r = defaults;
    r.prompt = j["prompt"].get<std::string>();
    if (j.contains("chat")) {
      if (!j["chat"].is_boolean()) throw_error("{}:{}: \"chat\" must be true or false", path, lineno);
      r.chat = j["chat"].get<bool>();
    }
    if (j.contains("system")) {
      if (!j["system"].is_string()) throw_error("{}:{}: \"system\" must be a string", path, lineno);
      r.system = j["system"].get<std::string>();
    }
    reqs.push_back(std::move(r));
  });
  if (reqs.empty()) throw_error("{}: no prompts in the batch file", path);
  return reqs;
}

std::vector<TextRequest> read_batch_file(const std::string& path, const TextRequest& defaults) {
  return parse_batch_file(read_file(path), path, defaults);
}

}  // namespace dc
