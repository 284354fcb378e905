#include "eval/dataset.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/lines.h"
#include "core/mapped_file.h"
#include "eval/gzip_file.h"
#include "eval/json_raw.h"
#include "eval/sha256.h"

namespace dc::eval {

namespace fs = std::filesystem;

const char* input_rule_name(InputRule r) {
  switch (r) {
    case InputRule::None:
      return "none";
    case InputRule::EachArgTuple:
      return "each_arg_tuple";
    case InputRule::InnerListsTuple:
      return "inner_lists_tuple";
    case InputRule::FirstInnerListsTuple:
      return "first_inner_lists_tuple";
    case InputRule::SecondArgTuple:
      return "second_arg_tuple";
    case InputRule::FirstArgTuple:
      return "first_arg_tuple";
    case InputRule::InnerListsTupleThenEachArgTuple:
      return "inner_lists_tuple_then_each_arg_tuple";
    case InputRule::FirstItemsTupleThenEachArgTuple:
      return "first_items_tuple_then_each_arg_tuple";
    case InputRule::FirstDictValuesTuple:
      return "first_dict_values_tuple";
    case InputRule::FirstInnerListsSet:
      return "first_inner_lists_set";
    case InputRule::FloatComplex:
      return "float_complex";
    case InputRule::Complex:
      return "complex";
    case InputRule::DeepTuple:
      return "deep_tuple";
  }
  return "none";
}

const char* test_kind_name(TestKind k) {
  switch (k) {
    case TestKind::Io:
      return "io";
    case TestKind::Assert:
      return "assert";
    case TestKind::Check:
      return "check";
    case TestKind::Expr:
      return "expr";
  }
  return "io";
}

const char* oracle_aux_name(Oracle o) {
  switch (o) {
    case Oracle::PolyRoot:
      return "poly_root";
    case Oracle::SurfaceArea:
      return "surface_area";
    case Oracle::DigitDistance:
      return "digit_distance";
    default:
      return "";
  }
}

InputRule mbpp_input_rule(int n) {
  static const std::map<int, InputRule> table = [] {
    std::map<int, InputRule> t;
    auto add = [&](std::initializer_list<int> ids, InputRule r) {
      for (int id : ids) t[id] = r;
    };
    add({2,   116, 132, 143, 222, 261, 273, 394, 399, 421, 424,
         429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809},
        InputRule::EachArgTuple);
    add({63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}, InputRule::InnerListsTuple);
    add({75, 413, 444, 753}, InputRule::FirstInnerListsTuple);
    add({106, 750}, InputRule::SecondArgTuple);
    add({250, 405, 446, 617, 720, 763, 808, 307}, InputRule::FirstArgTuple);
    add({259, 401, 445}, InputRule::InnerListsTupleThenEachArgTuple);
    add({278}, InputRule::FirstItemsTupleThenEachArgTuple);
    add({722}, InputRule::FirstDictValuesTuple);
    add({115}, InputRule::FirstInnerListsSet);
    add({124}, InputRule::FloatComplex);
    add({252}, InputRule::Complex);
    add({580, 615, 791}, InputRule::DeepTuple);
    return t;
  }();
  auto it = table.find(n);
  return it == table.end() ? InputRule::None : it->second;
}

Oracle oracle_for(const std::string& task_id, const std::string& entry_point) {
  if (task_id == "HumanEval/32") return Oracle::PolyRoot;
  if (task_id.rfind("Mbpp/", 0) != 0) return Oracle::None;
  if (task_id == "Mbpp/164") return Oracle::AlwaysPass;
  if (task_id == "Mbpp/295") return Oracle::AlsoZero;
  if (task_id == "Mbpp/581") return Oracle::SurfaceArea;
  if (task_id == "Mbpp/558") return Oracle::DigitDistance;
  static const char* kSetEq[] = {
      "similar_elements", "find_char_long",     "common_in_nested_lists", "extract_singly",
      "larg_nnum",        "intersection_array", "find_dissimilar",        "Diff"};
  for (const char* e : kSetEq) {
    if (entry_point == e) return Oracle::SetEqual;
  }
  if (entry_point == "check_str" || entry_point == "text_match_three" || entry_point == "text_starta_endb") {
    return Oracle::NotNone;
  }
  return Oracle::None;
}

const Task* Dataset::find(const std::string& task_id) const {
  for (const auto& t : tasks) {
    if (t.task_id == task_id) return &t;
  }
  return nullptr;
}

namespace {

using Members = std::vector<std::pair<std::string, std::string_view>>;

const std::string_view* member(const Members& m, const char* key) {
  for (const auto& [k, v] : m) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string string_member(const Members& m, const char* key, const std::string& where, bool required = true) {
  const auto* v = member(m, key);
  if (!v || *v == "null") {
    if (required) throw_error("{}: missing \"{}\"", where, key);
    return "";
  }
  return json_raw::decode_string(*v, where + " \"" + key + "\"");
}

std::vector<std::string> raw_items(std::string_view raw, const std::string& where) {
  // MBPP+ stores one empty plus_input as {}.
  if (raw == "{}" || raw == "null") return {};
  std::vector<std::string> out;
  for (auto item : json_raw::array_items(raw, where)) out.emplace_back(item);
  return out;
}

// Generic format: "tests": [{"input": [...], "output": ...}, ...]. Returns inputs and (possibly empty)
// outputs; outputs are all given or all absent.
void generic_tests(std::string_view raw, const std::string& where, std::vector<std::string>& inputs,
                   std::vector<std::string>& outputs) {
  size_t with_output = 0;
  for (auto item : json_raw::array_items(raw, where)) {
    Members m = json_raw::object_members(item, where);
    const auto* in = member(m, "input");
    if (!in) throw_error("{}: a test without \"input\"", where);
    json_raw::array_items(*in, where);  // must be a list of arguments
    inputs.emplace_back(*in);
    if (const auto* out = member(m, "output")) {
      outputs.emplace_back(*out);
      ++with_output;
    }
  }
  if (with_output != 0 && with_output != inputs.size()) {
    throw_error("{}: either every test gives \"output\" or none does", where);
  }
}

Task parse_task(std::string_view line, const std::string& where, bool base_only) {
  Members m = json_raw::object_members(line, where);
  Task t;
  t.task_id = string_member(m, "task_id", where);
  std::string w = where + " (" + t.task_id + ")";
  t.prompt = string_member(m, "prompt", w);
  t.entry_point = string_member(m, "entry_point", w);
  t.canonical_solution = string_member(m, "canonical_solution", w, false);
  if (const auto* a = member(m, "atol"); a && *a != "null") t.atol = json_raw::decode_number(*a, w + " atol");
  if (t.entry_point.empty()) throw_error("{}: empty \"entry_point\"", w);
  if (const auto* base = member(m, "base_input")) {
    // EvalPlus (HumanEval+, MBPP+).
    t.base_inputs = raw_items(*base, w + " base_input");
    if (const auto* plus = member(m, "plus_input"); plus && !base_only) {
      t.plus_inputs = raw_items(*plus, w + " plus_input");
    }
    if (t.task_id.rfind("Mbpp/", 0) == 0) {
      t.rule = mbpp_input_rule(std::atoi(t.task_id.c_str() + 5));
    }
    t.oracle = oracle_for(t.task_id, t.entry_point);
    if (t.canonical_solution.empty()) throw_error("{}: missing \"canonical_solution\"", w);
  } else if (const auto* tests = member(m, "tests")) {
    generic_tests(*tests, w + " tests", t.base_inputs, t.base_outputs);
    if (const auto* plus = member(m, "plus_tests"); plus && !base_only) {
      generic_tests(*plus, w + " plus_tests", t.plus_inputs, t.plus_outputs);
    }
    bool given = !t.base_outputs.empty() || !t.plus_outputs.empty();
    if (given &&
        (t.base_outputs.size() != t.base_inputs.size() || t.plus_outputs.size() != t.plus_inputs.size())) {
      throw_error("{}: either every test gives \"output\" or none does", w);
    }
    if (!given && t.canonical_solution.empty()) {
      throw_error("{}: tests without \"output\" need a \"canonical_solution\"", w);
    }
  } else if (const auto* asserts = member(m, "asserts")) {
    t.kind = TestKind::Assert;
    for (auto a : json_raw::array_items(*asserts, w + " asserts")) {
      t.base_inputs.push_back(json_raw::decode_string(a, w + " asserts"));
    }
  } else if (member(m, "test")) {
    // Original HumanEval: `test` defines check(candidate).
    t.kind = TestKind::Check;
    t.base_inputs.push_back(string_member(m, "test", w));
  } else {
    throw_error("{}: no tests (expected \"base_input\", \"tests\", \"asserts\" or \"test\")", w);
  }
  if (t.base_inputs.empty() && t.plus_inputs.empty()) throw_error("{}: the task has no tests", w);
  return t;
}

}  // namespace

Dataset load_dataset(const std::string& path, bool base_only) {
  std::string raw = read_file(path);
  Dataset d;
  d.path = path;
  d.name = fs::path(path).filename().string();
  d.sha256 = sha256_hex(raw);
  std::string text = raw.size() >= 2 && uint8_t(raw[0]) == 0x1f && uint8_t(raw[1]) == 0x8b ? gunzip(raw, path)
                                                                                           : std::move(raw);
  for_each_nonblank_line(text, [&](std::string_view line, int line_no) {
    d.tasks.push_back(parse_task(line, fmt::format("{}:{}", path, line_no), base_only));
    if (!d.tasks.back().plus_inputs.empty()) d.has_plus = true;
  });
  if (d.tasks.empty()) throw_error("{}: no tasks", path);
  std::vector<std::string> ids;
  for (const auto& t : d.tasks) ids.push_back(t.task_id);
  std::sort(ids.begin(), ids.end());
  if (auto it = std::adjacent_find(ids.begin(), ids.end()); it != ids.end()) {
    throw_error("{}: task id '{}' appears twice", path, *it);
  }
  return d;
}

std::vector<std::string> benchmark_names() {
  return {"humaneval", "humaneval+", "humaneval+mini", "humaneval-original", "mbpp", "mbpp+"};
}

Dataset load_benchmark(const std::string& name, const std::string& data_dir) {
  std::string file;
  bool base_only = false;
  if (name == "humaneval" || name == "humaneval+") {
    file = "HumanEvalPlus.jsonl.gz";
    base_only = name == "humaneval";
  } else if (name == "humaneval+mini") {
    file = "HumanEvalPlus-Mini.jsonl.gz";
  } else if (name == "humaneval-original") {
    file = "HumanEval.jsonl.gz";
  } else if (name == "mbpp" || name == "mbpp+") {
    file = "MbppPlus.jsonl.gz";
    base_only = name == "mbpp";
  } else {
    throw_error(
        "unknown benchmark '{}' (expected humaneval, humaneval+, humaneval+mini, humaneval-original, "
        "mbpp or mbpp+)",
        name);
  }
  std::string path = (fs::path(data_dir) / file).string();
  if (!fs::exists(path)) {
    throw_error("{}: benchmark file not found (set --data-dir to the directory holding {})", path, file);
  }
  Dataset d = load_dataset(path, base_only);
  d.name = name;
  d.has_plus = !base_only && name != "humaneval-original";
  return d;
}

std::string default_data_dir() {
  if (const char* env = std::getenv("DIFFUCODER_DATA_DIR"); env && *env) return env;
  // The repository's own copy: <repo>/data/benchmarks, found from the binary (<repo>/<build>/bin/...) or
  // from a working directory at the repository's root.
  std::vector<fs::path> candidates;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = 0;
    const fs::path bin = fs::path(exe).parent_path();
    candidates.push_back(bin.parent_path().parent_path() / "data" / "benchmarks");
  }
  candidates.push_back(fs::path("data") / "benchmarks");
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) return fs::weakly_canonical(c, ec).string();
  }
  return (fs::path("data") / "benchmarks").string();
}

}  // namespace dc::eval
