// Typed readers of config.json fields shared by the per-architecture config parsers (config.cpp for
// Dream, config_llada.cpp for LLaDA). Internal to src/model/. Every failure is one dc::Error line naming
// the file (`source`) and the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dc {

using nlohmann::json;

// Upper bounds that keep every derived size (V*C, L*F*C, ...) far from int64 overflow while admitting any
// real model: 2^24 for widths and vocabularies, 2^16 for layer and head counts.
constexpr int64_t kMaxWidth = int64_t(1) << 24;
constexpr int64_t kMaxCount = int64_t(1) << 16;

bool iequals(std::string_view a, std::string_view b);
// The integer field `key`: required (absent or null -> error) unless `fallback` is given.
int64_t get_int(const json& j, const char* key, const std::string& source, const int64_t* fallback = nullptr);
double get_double(const json& j, const char* key, const std::string& source, double fallback);
bool get_bool(const json& j, const char* key, const std::string& source, bool fallback);
// A string field; `fallback` when absent or null.
std::string get_string(const json& j, const char* key, const std::string& source,
                       const std::string& fallback);
// A special token id: absent or null -> -1; a list (HF allows several eos ids) -> its first element.
int32_t get_token_id(const json& j, const char* key, const std::string& source);
void check_range(int64_t v, const char* key, int64_t max, const std::string& source);

struct ModelConfig;
// The fields both architectures spell alike: special token ids (null when -1) and torch_dtype (when set).
void write_common_fields(json& j, const ModelConfig& c);

}  // namespace dc
