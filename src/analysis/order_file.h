// Reading saved generations back for analysis: the JSON lines `diffucoder generate --json` prints,
//   {"prompt_tokens": [ids], "tokens": [canvas ids], "text": "...",
//    "order": [[step, position, token], ...], "stats": {...}}
// where position counts from the first generated slot. Used fields: `order` (required; entries need only
// step and position), the prompt length from `prompt_tokens` (or an integer `prompt_length`; one is
// required), the generated length from `tokens` (the generated slots; see order_file.cpp for a canvas with
// the prompt in front), else an
// integer `generated_length`, else the largest committed position + 1; `stats.temperature` (optional) and
// `first_step_confidence` (optional array by generated position, the entropy-sink input).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/summary.h"

namespace dc::analysis {

// One parsed line. `what` ("FILE:LINE") prefixes every error message.
struct GenerationRecord {
  Sample sample;
  std::optional<double> temperature;
};

// Throws dc::Error("WHAT: ...") for a line that is not a generation record or whose order is malformed.
GenerationRecord parse_generation(const nlohmann::json& line, const std::string& what);

// Every non-blank line of a JSON-lines file. Throws dc::Error naming FILE:LINE for the first bad line, and
// for a file without any record.
std::vector<GenerationRecord> read_generations(const std::string& path);

// The inverse of parse_generation for what the analysis keeps: {"prompt_length", "generated_length",
// "order": [[step, position], ...], "first_step_confidence" (if any), "stats": {"temperature"} (if known)}.
// Lets `analyze --model --save-orders F` keep its orders for a later `analyze --order F`.
nlohmann::json generation_json(const Sample& s, std::optional<double> temperature);

// The runs of one file (`diffucoder analyze --order FILE`): one per distinct stats.temperature, labelled
// "T=<t>", in order of first appearance; lines without a temperature form a run labelled by the file name.
std::vector<RunSummary> summarize_generations(const std::string& path, int max_local_k = 9,
                                              int max_global_k = 4);

}  // namespace dc::analysis
