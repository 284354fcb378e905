// Tokenizer file readers (see loader.h).
#include "tokenizer/loader.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/pretokenizer.h"

namespace dc::tok {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int64_t kMaxTokenId = (int64_t(1) << 24) - 1;

json parse_json(const std::string& path) {
  const std::string text = read_file(path);
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw_error("{}: not valid JSON", path);
  return j;
}

const char* type_name(const json& j) {
  return j.type_name();
}

template <typename What>
int32_t token_id_value(const json& v, const std::string& path, const What& what) {
  if (!v.is_number_integer()) throw_error("{}: {} must be an integer id, got {}", path, what(), type_name(v));
  const auto id = v.get<int64_t>();
  if (id < 0 || id > kMaxTokenId)
    throw_error("{}: {} has id {} outside [0, {}]", path, what(), id, kMaxTokenId);
  return int32_t(id);
}

bool flag(const json& obj, const char* key, bool fallback, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw_error("{}: added token field '{}' must be true or false", path, key);
  return it->get<bool>();
}

// A special-token value in tokenizer_config.json / special_tokens_map.json: "text", {"content": "text"},
// or null.
std::optional<std::string> token_spelling(const json& v, const std::string& path, const char* key) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    auto c = v.find("content");
    if (c != v.end() && c->is_string()) return c->get<std::string>();
  }
  throw_error("{}: '{}' must be a string, an object with \"content\", or null", path, key);
}

void read_role_tokens(const json& j, const std::string& path, TokenizerSpec& spec) {
  if (!j.is_object()) throw_error("{}: expected a JSON object at the top level", path);
  const std::pair<const char*, std::optional<std::string>*> roles[] = {{"bos_token", &spec.bos},
                                                                       {"eos_token", &spec.eos},
                                                                       {"pad_token", &spec.pad},
                                                                       {"mask_token", &spec.mask},
                                                                       {"unk_token", &spec.unk}};
  for (auto [key, slot] : roles) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    *slot = token_spelling(*it, path, key);
    spec.special_source = path;
  }
}

// tokenizer_config.json then special_tokens_map.json (which overrides, as in transformers).
void read_config_files(const fs::path& dir, TokenizerSpec& spec, json* config_out) {
  const fs::path config = dir / "tokenizer_config.json";
  if (fs::is_regular_file(config)) {
    json j = parse_json(config.string());
    read_role_tokens(j, config.string(), spec);
    if (config_out) *config_out = std::move(j);
  }
  const fs::path map = dir / "special_tokens_map.json";
  if (fs::is_regular_file(map)) read_role_tokens(parse_json(map.string()), map.string(), spec);
}

// Vocabulary files are large (151k entries): they are read with a parser callback that moves each entry
// into the spec and drops it from the JSON tree, instead of building the tree first.
void add_vocab_entry(const std::string& key, const json& v, const std::string& path, TokenizerSpec& spec) {
  const int32_t id = token_id_value(v, path, [&] { return fmt::format("vocabulary token '{}'", key); });
  spec.vocab.emplace(key, id);
}

void finish_vocab(const std::string& path, TokenizerSpec& spec) {
  if (spec.vocab.empty()) throw_error("{}: the vocabulary is empty", path);
  spec.vocab_source = path;  // ids given twice are caught when the tokenizer is assembled
}

void add_merge(const json& m, const std::string& path, TokenizerSpec& spec) {
  if (m.is_string()) {
    spec.merges.push_back(split_merge(m.get<std::string>(), path));
  } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
  } else {
    throw_error("{}: merge #{} must be \"a b\" or [\"a\", \"b\"]", path, spec.merges.size());
  }
}

// vocab.json: a top-level object of token -> id.
void read_vocab_json(const std::string& path, TokenizerSpec& spec) {
  const std::string text = read_file(path);
  std::string key;
  bool top_object = false;
  auto cb = [&](int depth, json::parse_event_t e, json& p) {
    using E = json::parse_event_t;
    if (depth == 0 && e == E::object_start) top_object = true;
    if (!top_object || depth != 1) return true;
    if (e == E::key) {
      key = p.get<std::string>();
      return false;  // keeps the key out of the tree; the value callback still sees it
    }
    if (e == E::value || e == E::object_end || e == E::array_end) {
      add_vocab_entry(key, p, path, spec);
      return false;
    }
    return true;
  };
  const json j = json::parse(text, cb, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw_error("{}: not valid JSON", path);
  if (!j.is_object()) throw_error("{}: the vocabulary must be a JSON object of token -> id", path);
  finish_vocab(path, spec);
}

// tokenizer.json: the tree without model.vocab and model.merges, which go straight into the spec.
json parse_tokenizer_json(const std::string& path, TokenizerSpec& spec, bool* saw_vocab, bool* saw_merges) {
  const std::string text = read_file(path);
  std::string key1, key2, key3;
  bool in_vocab = false, in_merges = false;
  auto cb = [&](int depth, json::parse_event_t e, json& p) {
    using E = json::parse_event_t;
    switch (e) {
      case E::key:
        if (depth == 1) key1 = p.get<std::string>();
        if (depth == 2) key2 = p.get<std::string>();
        if (depth == 3 && in_vocab) {
          key3 = p.get<std::string>();
          return false;  // keeps the key out of the tree; the value callback still sees it
        }
        return true;
      case E::object_start:
        if (depth == 2 && key1 == "model" && key2 == "vocab") in_vocab = *saw_vocab = true;
        return true;
      case E::array_start:
        if (depth == 2 && key1 == "model" && key2 == "merges") in_merges = *saw_merges = true;
        return true;
      case E::object_end:
      case E::array_end:
        if (depth == 2) {
          in_vocab = in_merges = false;
          return true;
        }
        if (depth == 3 && in_vocab) add_vocab_entry(key3, p, path, spec);
        if (depth == 3 && in_merges) add_merge(p, path, spec);
        return !(depth == 3 && (in_vocab || in_merges));
      case E::value:
        if (depth == 3 && in_vocab) add_vocab_entry(key3, p, path, spec);
        if (depth == 3 && in_merges) add_merge(p, path, spec);
        return !(depth == 3 && (in_vocab || in_merges));
    }
    return true;
  };
  json j = json::parse(text, cb, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw_error("{}: not valid JSON", path);
  return j;
}

AddedToken added_token_object(const json& t, const std::string& path) {
  if (!t.is_object()) throw_error("{}: each added token must be an object", path);
  AddedToken a;
  auto c = t.find("content");
  if (c == t.end() || !c->is_string() || c->get<std::string>().empty()) {
    throw_error("{}: an added token has no (or an empty) \"content\" string", path);
  }
  a.content = c->get<std::string>();
  a.special = flag(t, "special", false, path);
  a.single_word = flag(t, "single_word", false, path);
  a.lstrip = flag(t, "lstrip", false, path);
  a.rstrip = flag(t, "rstrip", false, path);
  a.normalized = flag(t, "normalized", !a.special, path);
  return a;
}

void read_tokenizer_json_checked(const std::string& path, TokenizerSpec& spec) {
  bool saw_vocab = false, saw_merges = false;
  const json j = parse_tokenizer_json(path, spec, &saw_vocab, &saw_merges);
  if (!j.is_object()) throw_error("{}: expected a JSON object at the top level", path);

  auto model = j.find("model");
  if (model == j.end() || !model->is_object()) throw_error("{}: no \"model\" object", path);
  const std::string type = model->value("type", std::string("BPE"));
  if (type != "BPE") throw_error("{}: model type '{}' is not supported (only byte-level BPE)", path, type);
  auto str_field_empty = [&](const char* key) {
    auto it = model->find(key);
    return it == model->end() || it->is_null() || (it->is_string() && it->get<std::string>().empty());
  };
  if (!str_field_empty("continuing_subword_prefix") || !str_field_empty("end_of_word_suffix")) {
    throw_error("{}: BPE subword prefixes/suffixes are not supported (byte-level BPE has none)", path);
  }
  if (model->value("byte_fallback", false)) throw_error("{}: BPE byte_fallback is not supported", path);
  if (!saw_vocab) throw_error("{}: the model has no \"vocab\" object", path);
  finish_vocab(path, spec);
  if (!saw_merges) throw_error("{}: the model has no \"merges\" array", path);
  spec.merges_source = path;

  // Normalizer: none, NFC, or a Sequence of NFC.
  spec.nfc = false;
  auto norm = j.find("normalizer");
  if (norm != j.end() && !norm->is_null()) {
    if (!norm->is_object()) throw_error("{}: \"normalizer\" must be an object or null", path);
    std::vector<json> list;
    if (norm->value("type", "") == "Sequence" && norm->contains("normalizers")) {
      for (const json& n : (*norm)["normalizers"]) list.push_back(n);
    } else {
      list.push_back(*norm);
    }
    for (const json& n : list) {
      const std::string t = n.is_object() ? n.value("type", "") : "";
      if (t != "NFC") throw_error("{}: normalizer '{}' is not supported (only NFC)", path, t);
      spec.nfc = true;
    }
  }

  // Pre-tokenizer: Sequence[Split(regex, Isolated), ByteLevel(use_regex=false)] or ByteLevel(use_regex).
  auto pre = j.find("pre_tokenizer");
  if (pre == j.end() || !pre->is_object()) throw_error("{}: no \"pre_tokenizer\" object", path);
  std::vector<json> steps;
  if (pre->value("type", "") == "Sequence") {
    for (const json& p : pre->value("pretokenizers", json::array())) steps.push_back(p);
  } else {
    steps.push_back(*pre);
  }
  bool byte_level = false;
  for (const json& p : steps) {
    const std::string t = p.is_object() ? p.value("type", "") : "";
    if (t == "Split" && spec.pattern.empty() && !byte_level) {
      const json pat = p.value("pattern", json::object());
      if (!pat.is_object() || !pat.contains("Regex") || !pat["Regex"].is_string()) {
        throw_error("{}: Split pre-tokenizer needs a {{\"Regex\": ...}} pattern", path);
      }
      if (p.value("behavior", "") != "Isolated" || p.value("invert", false)) {
        throw_error("{}: Split pre-tokenizer must use behavior \"Isolated\" without invert", path);
      }
      spec.pattern = pat["Regex"].get<std::string>();
    } else if (t == "ByteLevel" && !byte_level) {
      byte_level = true;
      if (p.value("add_prefix_space", false))
        throw_error("{}: ByteLevel add_prefix_space is not supported", path);
      if (p.value("use_regex", true)) {
        if (!spec.pattern.empty())
          throw_error("{}: ByteLevel use_regex after a Split is not supported", path);
        spec.pattern = kGpt2Pattern;
      }
    } else {
      throw_error("{}: pre-tokenizer step '{}' is not supported", path, t);
    }
  }
  if (!byte_level) throw_error("{}: the pre-tokenizer has no ByteLevel step (only byte-level BPE)", path);

  auto dec = j.find("decoder");
  if (dec != j.end() && !dec->is_null() && (!dec->is_object() || dec->value("type", "") != "ByteLevel")) {
    throw_error("{}: decoder must be ByteLevel", path);
  }

  // Added tokens. Hugging Face does not trust the ids in the file: a token whose content is already in
  // the model vocabulary (or was added before) keeps that id; any other gets the next free id after the
  // model vocabulary (its entry count) and the added tokens so far. The file's ids are only checked for
  // type; in well-formed files the two agree.
  auto added = j.find("added_tokens");
  if (added != j.end() && !added->is_null()) {
    if (!added->is_array()) throw_error("{}: \"added_tokens\" must be an array", path);
    const auto model_size = int64_t(spec.vocab.size());
    int64_t max_added = -1;
    for (const json& t : *added) {
      AddedToken a = added_token_object(t, path);
      if (!t.contains("id")) throw_error("{}: added token '{}' has no id", path, a.content);
      token_id_value(t["id"], path, [&] { return fmt::format("added token '{}'", a.content); });
      auto same = std::find_if(spec.added.begin(), spec.added.end(),
                               [&](const AddedToken& o) { return o.content == a.content; });
      if (same != spec.added.end()) {
        a.id = same->id;
        *same = a;
        continue;
      }
      auto in_vocab = spec.vocab.find(a.content);
      if (in_vocab != spec.vocab.end()) {
        a.id = in_vocab->second;
      } else {
        const int64_t id = (max_added >= model_size || model_size == 0) ? max_added + 1 : model_size;
        if (id > kMaxTokenId) throw_error("{}: too many added tokens", path);
        a.id = int32_t(id);
      }
      max_added = std::max<int64_t>(max_added, a.id);
      spec.added.push_back(std::move(a));
    }
  }
  spec.added_source = path;
}

void read_tokenizer_json(const std::string& path, TokenizerSpec& spec) {
  try {
    read_tokenizer_json_checked(path, spec);
  } catch (const json::exception& e) {
    throw_error("{}: unexpected JSON structure ({})", path, e.what());
  }
}

void read_merges_txt(const std::string& path, TokenizerSpec& spec) {
  const std::string text = read_file(path);
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    // Trim ASCII whitespace (\r of CRLF files too), as the Python reader's str.strip() does.
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || (line_no == 1 && line.substr(0, 9) == "#version:")) continue;
    spec.merges.push_back(split_merge(line, fmt::format("{}:{}", path, line_no)));
  }
  spec.merges_source = path;
}

void read_slow_layout_checked(const fs::path& dir, TokenizerSpec& spec, const json& config) {
  const std::string vocab_path = (dir / "vocab.json").string();
  read_vocab_json(vocab_path, spec);
  read_merges_txt((dir / "merges.txt").string(), spec);
  spec.nfc = true;
  spec.pattern = kQwen2Pattern;

  // Added tokens with their flags: tokenizer_config.json's added_tokens_decoder ({"id": {...}}).
  const std::string config_path = (dir / "tokenizer_config.json").string();
  std::set<std::string> contents;
  if (config.is_object() && config.contains("added_tokens_decoder")) {
    const json& d = config["added_tokens_decoder"];
    if (!d.is_object()) throw_error("{}: \"added_tokens_decoder\" must be an object", config_path);
    for (auto it = d.begin(); it != d.end(); ++it) {
      AddedToken a = added_token_object(it.value(), config_path);
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(it.key(), &used);
        if (used != it.key().size()) id = -1;
      } catch (const std::exception&) {
        id = -1;
      }
      if (id < 0 || id > kMaxTokenId)
        throw_error("{}: added_tokens_decoder key '{}' is not a token id", config_path, it.key());
      a.id = int32_t(id);
      contents.insert(a.content);
      spec.added.push_back(std::move(a));
    }
    spec.added_source = config_path;
  }

  // added_tokens.json ({"content": id}): must agree with the above; adds tokens the config lacks.
  const fs::path added_path = dir / "added_tokens.json";
  if (fs::is_regular_file(added_path)) {
    const std::string p = added_path.string();
    const json a = parse_json(p);
    if (!a.is_object()) throw_error("{}: expected a JSON object of token -> id", p);
    std::set<std::string> role_tokens;
    for (const auto* r : {&spec.bos, &spec.eos, &spec.pad, &spec.mask, &spec.unk}) {
      if (*r) role_tokens.insert(**r);
    }
    if (config.is_object() && config.contains("additional_special_tokens") &&
        config["additional_special_tokens"].is_array()) {
      for (const json& t : config["additional_special_tokens"]) {
        if (auto s = token_spelling(t, config_path, "additional_special_tokens")) role_tokens.insert(*s);
      }
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      const int32_t id =
          token_id_value(it.value(), p, [&] { return fmt::format("added token '{}'", it.key()); });
      if (it.key().empty()) throw_error("{}: an added token is the empty string", p);
      if (contents.count(it.key())) {
        for (const AddedToken& t : spec.added) {
          if (t.content == it.key() && t.id != id) {
            throw_error("{}: added token '{}' has id {} but {} gives it id {}", p, it.key(), id, config_path,
                        t.id);
          }
        }
        continue;
      }
      AddedToken t;
      t.content = it.key();
      t.id = id;
      t.special = role_tokens.count(t.content) > 0;
      t.normalized = !t.special;
      spec.added.push_back(std::move(t));
    }
    if (spec.added_source.empty()) spec.added_source = p;
  }
}

void read_slow_layout(const fs::path& dir, TokenizerSpec& spec, const json& config) {
  try {
    read_slow_layout_checked(dir, spec, config);
  } catch (const json::exception& e) {
    throw_error("{}: unexpected JSON structure in the tokenizer files ({})", dir.string(), e.what());
  }
}

}  // namespace

std::pair<std::string, std::string> split_merge(std::string_view line, const std::string& where) {
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp + 1 >= line.size() ||
      line.find(' ', sp + 1) != std::string_view::npos) {
    throw_error("{}: merge '{}' is not two tokens separated by one space", where, line);
  }
  return {std::string(line.substr(0, sp)), std::string(line.substr(sp + 1))};
}

TokenizerSpec load_tokenizer_spec(const std::string& path) {
  TokenizerSpec spec;
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(p, ec)) throw_error("{}: no such file or directory", path);
  if (fs::is_regular_file(p, ec)) {
    read_tokenizer_json(path, spec);
    read_config_files(p.parent_path().empty() ? fs::path(".") : p.parent_path(), spec, nullptr);
    return spec;
  }
  if (!fs::is_directory(p, ec)) throw_error("{}: not a file or a directory", path);
  if (fs::is_regular_file(p / "tokenizer.json", ec)) {
    read_tokenizer_json((p / "tokenizer.json").string(), spec);
    read_config_files(p, spec, nullptr);
    return spec;
  }
  if (fs::is_regular_file(p / "vocab.json", ec) && fs::is_regular_file(p / "merges.txt", ec)) {
    json config;
    read_config_files(p, spec, &config);
    read_slow_layout(p, spec, config);
    return spec;
  }
  throw_error("{}: no tokenizer files (expected tokenizer.json, or vocab.json and merges.txt)", path);
}

}  // namespace dc::tok
