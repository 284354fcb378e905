// Parsing of `generate --json` lines into decoding orders (order_file.h).
#include "analysis/order_file.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"

namespace dc::analysis {
namespace {

// A JSON integer that fits int64 and is >= 0 (parsed files give unsigned values, built ones signed).
bool is_count(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= uint64_t(INT64_MAX);
  return v.is_number_integer() && v.get<int64_t>() >= 0;
}

int64_t integer_at(const nlohmann::json& v, const std::string& what, const char* field) {
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))) {
    throw_error("{}: '{}' must hold 64-bit integers, found {}", what, field, v.dump());
  }
  return v.get<int64_t>();
}

}  // namespace

GenerationRecord parse_generation(const nlohmann::json& line, const std::string& what) {
  if (!line.is_object()) throw_error("{}: expected a JSON object per line", what);
  const auto prompt = line.find("prompt_tokens");
  const auto prompt_length = line.find("prompt_length");
  const bool has_prompt_tokens = prompt != line.end() && prompt->is_array();
  if (!has_prompt_tokens && (prompt_length == line.end() || !is_count(*prompt_length))) {
    throw_error("{}: missing array 'prompt_tokens'", what);
  }
  const auto order = line.find("order");
  if (order == line.end() || !order->is_array()) {
    throw_error("{}: missing array 'order' (print generations with `generate --json`)", what);
  }

  GenerationRecord r;
  DecodeOrder& o = r.sample.order;
  o.prompt_length = has_prompt_tokens ? int64_t(prompt->size()) : prompt_length->get<int64_t>();
  int64_t max_position = -1;
  for (const auto& c : *order) {
    if (!c.is_array() || c.size() < 2) {
      throw_error("{}: each 'order' entry must be [step, position, token], found {}", what, c.dump());
    }
    Commit commit;
    commit.step = integer_at(c[0], what, "order");
    commit.position = integer_at(c[1], what, "order");
    max_position = std::max(max_position, commit.position);
    o.commits.push_back(commit);
  }

  // Generated length: `tokens` holds the L generated slots (generate --json). A canvas with the prompt in
  // front is recognised only when it starts with the prompt and the order commits exactly its n - P slots
  // (every slot is committed once in Dream decoding), so a completion that repeats its prompt is not cut.
  const auto tokens = line.find("tokens");
  const auto generated_length = line.find("generated_length");
  if (tokens != line.end()) {
    if (!tokens->is_array()) throw_error("{}: 'tokens' must be an array", what);
    const int64_t n = int64_t(tokens->size());
    bool has_prompt = has_prompt_tokens && o.prompt_length > 0 && n >= o.prompt_length &&
                      int64_t(o.commits.size()) == n - o.prompt_length;
    for (int64_t i = 0; has_prompt && i < o.prompt_length; ++i) {
      has_prompt = (*tokens)[size_t(i)] == (*prompt)[size_t(i)];
    }
    o.generated_length = has_prompt ? n - o.prompt_length : n;
  } else if (generated_length != line.end()) {
    if (!is_count(*generated_length)) throw_error("{}: 'generated_length' must be a count", what);
    o.generated_length = generated_length->get<int64_t>();
  } else {
    o.generated_length = std::min<int64_t>(max_position, int64_t(1) << 40) + 1;  // no overflow
  }

  const auto conf = line.find("first_step_confidence");
  if (conf != line.end()) {
    if (!conf->is_array()) throw_error("{}: 'first_step_confidence' must be an array of numbers", what);
    for (const auto& v : *conf) {
      if (!v.is_number()) throw_error("{}: 'first_step_confidence' must be an array of numbers", what);
      r.sample.first_step_confidence.push_back(v.get<double>());
    }
  }
  const auto stats = line.find("stats");
  if (stats != line.end() && stats->is_object()) {
    const auto t = stats->find("temperature");
    if (t != stats->end() && t->is_number()) r.temperature = t->get<double>();
  }
  // Validate now so the message names the line.
  order_events(o, what.c_str());
  return r;
}

std::vector<GenerationRecord> read_generations(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<GenerationRecord> out;
  size_t begin = 0;
  int64_t line_no = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string what = fmt::format("{}:{}", path, line_no);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw_error("{}: not valid JSON", what);
    out.push_back(parse_generation(j, what));
  }
  if (out.empty()) throw_error("{}: no generations in the file (expected `generate --json` lines)", path);
  return out;
}

nlohmann::json generation_json(const Sample& s, std::optional<double> temperature) {
  nlohmann::json j;
  j["prompt_length"] = s.order.prompt_length;
  j["generated_length"] = s.order.generated_length;
  nlohmann::json order = nlohmann::json::array();
  for (const Commit& c : s.order.commits) order.push_back({c.step, c.position});
  j["order"] = std::move(order);
  if (!s.first_step_confidence.empty()) j["first_step_confidence"] = s.first_step_confidence;
  if (temperature) j["stats"] = {{"temperature", *temperature}};
  return j;
}

std::vector<RunSummary> summarize_generations(const std::string& path, int max_local_k, int max_global_k) {
  const std::vector<GenerationRecord> records = read_generations(path);
  // Groups in order of first appearance; lines without a temperature form one group of their own.
  std::vector<std::optional<double>> keys;
  std::vector<std::vector<Sample>> groups;
  for (const GenerationRecord& r : records) {
    size_t g = 0;
    while (g < keys.size() && keys[g] != r.temperature) ++g;
    if (g == keys.size()) {
      keys.push_back(r.temperature);
      groups.emplace_back();
    }
    groups[g].push_back(r.sample);
  }
  const std::string name = std::filesystem::path(path).filename().string();
  std::vector<RunSummary> runs;
  for (size_t g = 0; g < keys.size(); ++g) {
    std::string label = keys[g] ? fmt::format("T={}", *keys[g]) : name;
    if (keys.size() > 1 && !keys[g]) label += " (no temperature)";
    runs.push_back(summarize(label, keys[g], groups[g], max_local_k, max_global_k));
  }
  return runs;
}

}  // namespace dc::analysis
