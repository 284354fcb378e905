// Building shard directories (format in train/data.h) from source files or SFT jsonl.
#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "tokenizer/chat_template.h"
#include "train/corpus.h"
#include "train/data.h"

namespace dc::train {

namespace {

template <class T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

int32_t required_token(const Tokenizer& tok, const char* spelling) {
  const auto id = tok.token_id(spelling);
  if (!id) throw_error("{}: the tokenizer has no {} token", tok.source(), spelling);
  return *id;
}

void check_options(const DataBuildOptions& opt) {
  if (opt.out_dir.empty()) throw_error("data: no output directory");
  if (opt.seq_len < 2) throw_error("data: sequence length {} is below 2", opt.seq_len);
  if (!(opt.val_fraction >= 0 && opt.val_fraction < 1)) {
    throw_error("data: validation fraction {} is not in [0, 1)", opt.val_fraction);
  }
  if (opt.seqs_per_shard < 1)
    throw_error("data: {} sequences per shard must be positive", opt.seqs_per_shard);
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) throw_error("{}: cannot create the directory: {}", opt.out_dir, ec.message());
}

// Number of sources that go to validation: a val_fraction share, at least one when asked for, never all.
size_t val_count(size_t n, double fraction) {
  if (fraction <= 0 || n < 2) return 0;
  return std::clamp<size_t>(size_t(double(n) * fraction + 0.5), 1, n - 1);
}

// Shuffles the sequences of one split and writes them as shards; `tokens` (n, seq_len).
void write_split(const std::string& split, std::vector<int32_t>& tokens, std::vector<uint32_t>& prompt_lens,
                 bool sft, const Tokenizer& tok, const DataBuildOptions& opt, Rng& rng, DataSplitStats& st) {
  const size_t L = size_t(opt.seq_len);
  const size_t n = tokens.size() / L;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  shuffle(order, rng);
  st.sequences = int64_t(n);
  st.tokens = int64_t(n * L);
  for (size_t first = 0, shard = 0; first < n; first += size_t(opt.seqs_per_shard), ++shard) {
    const size_t last = std::min(n, first + size_t(opt.seqs_per_shard));
    std::vector<int32_t> t;
    std::vector<uint32_t> p;
    t.reserve((last - first) * L);
    for (size_t k = first; k < last; ++k) {
      t.insert(t.end(), tokens.begin() + ptrdiff_t(order[k] * L),
               tokens.begin() + ptrdiff_t((order[k] + 1) * L));
      if (sft) p.push_back(prompt_lens[order[k]]);
    }
    const std::string name = fmt::format("{}-{:05d}.bin", split, shard);
    write_shard((std::filesystem::path(opt.out_dir) / name).string(), opt.seq_len, tok.vocab_size(), t, p,
                sft);
    st.shards.push_back(name);
  }
}

void write_manifest(const DataBuildStats& s, bool sft, const Tokenizer& tok, const DataBuildOptions& opt) {
  nlohmann::ordered_json m;
  m["format"] = "diffucoder-shards";
  m["version"] = 1;
  m["kind"] = sft ? "sft" : "text";
  m["seq_len"] = opt.seq_len;
  m["vocab_size"] = tok.vocab_size();
  m["tokenizer"] = tok.source();
  m["seed"] = opt.seed;
  m["val_fraction"] = opt.val_fraction;
  if (sft) m["skipped"] = s.skipped;
  nlohmann::ordered_json splits = nlohmann::ordered_json::object();
  for (const auto& [name, st] :
       {std::pair<const char*, const DataSplitStats&>{"train", s.train}, {"val", s.val}}) {
    if (st.sequences == 0) continue;
    splits[name] = {
        {"shards", st.shards}, {"sequences", st.sequences}, {"sources", st.sources}, {"tokens", st.tokens}};
    if (!sft) splits[name]["files"] = st.files;
  }
  m["splits"] = splits;
  write_file_atomic((std::filesystem::path(opt.out_dir) / "dataset.json").string(), m.dump(2) + "\n");
}

}  // namespace

DataBuildStats build_text_shards(const Tokenizer& tok, const std::vector<std::string>& files,
                                 const DataBuildOptions& opt) {
  check_options(opt);
  if (files.empty()) throw_error("{}: no input files", opt.out_dir);
  const int32_t eot = required_token(tok, "<|endoftext|>");
  Rng rng(opt.seed);
  // Validation takes whole files.
  std::vector<size_t> order(files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  shuffle(order, rng);
  const size_t n_val = val_count(files.size(), opt.val_fraction);
  std::vector<bool> is_val(files.size(), false);
  for (size_t k = 0; k < n_val; ++k) is_val[order[k]] = true;

  // Tokenize every file (in parallel; each thread owns whole files).
  std::vector<std::vector<int32_t>> ids(files.size());
  global_pool().parallel_for(int64_t(files.size()), [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      ids[size_t(i)] = tok.encode(read_file(files[size_t(i)]));
      ids[size_t(i)].push_back(eot);
    }
  });

  DataBuildStats s;
  for (int pass = 0; pass < 2; ++pass) {
    const bool val = pass == 1;
    DataSplitStats& st = val ? s.val : s.train;
    std::vector<int32_t> stream;
    for (size_t i = 0; i < files.size(); ++i) {
      if (is_val[i] != val) continue;
      stream.insert(stream.end(), ids[i].begin(), ids[i].end());
      st.files.push_back(files[i]);
      ++st.sources;
    }
    stream.resize(stream.size() / size_t(opt.seq_len) * size_t(opt.seq_len));
    std::vector<uint32_t> none;
    if (val && stream.empty()) continue;
    if (!val && stream.empty()) {
      throw_error("{}: the training files hold fewer than {} tokens", files.front(), opt.seq_len);
    }
    write_split(val ? "val" : "train", stream, none, false, tok, opt, rng, st);
  }
  write_manifest(s, false, tok, opt);
  return s;
}

DataBuildStats build_sft_shards(const Tokenizer& tok, const std::vector<std::string>& jsonl_files,
                                const DataBuildOptions& opt) {
  check_options(opt);
  if (jsonl_files.empty()) throw_error("{}: no input files", opt.out_dir);
  const SftLayout layout = SftLayout::of(tok, opt.chat_format, -1, tok.source());
  struct Example {
    std::string prompt, response;
  };
  std::vector<Example> examples;
  for (const auto& path : jsonl_files) {
    const std::string text = read_file(path);
    size_t line_no = 0;
    for (size_t at = 0; at < text.size();) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      const std::string_view line(text.data() + at, end - at);
      at = end + 1;
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        throw_error("{}:{}: not a JSON object", path, line_no);
      }
      if (!j.is_object()) throw_error("{}:{}: not a JSON object", path, line_no);
      for (const char* key : {"prompt", "response"}) {
        if (!j.contains(key) || !j[key].is_string())
          throw_error("{}:{}: missing string \"{}\"", path, line_no, key);
      }
      std::optional<std::string> system;
      if (j.contains("system")) {
        if (!j["system"].is_string()) throw_error("{}:{}: \"system\" must be a string", path, line_no);
        system = j["system"].get<std::string>();
      }
      examples.push_back(
          {layout.prompt(j["prompt"].get<std::string>(), system), j["response"].get<std::string>()});
    }
  }
  if (examples.empty()) throw_error("{}: no examples", jsonl_files.front());

  // Tokenize (train/corpus.h: prompt never masked, response, turn end, <|dlm_pad|> fill); a sample that
  // does not fit is left empty and skipped.
  std::vector<std::vector<int32_t>> seqs(examples.size());
  std::vector<uint32_t> plen(examples.size(), 0);
  global_pool().parallel_for(int64_t(examples.size()), [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      TokenSequence s =
          sft_sequence(tok, examples[size_t(i)].prompt, examples[size_t(i)].response, layout, opt.seq_len);
      seqs[size_t(i)] = std::move(s.tokens);
      plen[size_t(i)] = uint32_t(s.prompt_len);
    }
  });

  Rng rng(opt.seed);
  std::vector<size_t> order(examples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  shuffle(order, rng);
  const size_t n_val = val_count(examples.size(), opt.val_fraction);
  DataBuildStats s;
  for (int pass = 0; pass < 2; ++pass) {
    const bool val = pass == 1;
    DataSplitStats& st = val ? s.val : s.train;
    std::vector<int32_t> tokens;
    std::vector<uint32_t> prompts;
    for (size_t k = 0; k < order.size(); ++k) {
      if ((k < n_val) != val) continue;
      const size_t i = order[k];
      ++st.sources;
      if (seqs[i].empty()) {
        ++s.skipped;
        continue;
      }
      tokens.insert(tokens.end(), seqs[i].begin(), seqs[i].end());
      prompts.push_back(plen[i]);
    }
    if (tokens.empty()) {
      if (!val) throw_error("{}: no example fits in {} tokens", jsonl_files.front(), opt.seq_len);
      continue;
    }
    write_split(val ? "val" : "train", tokens, prompts, true, tok, opt, rng, st);
  }
  write_manifest(s, true, tok, opt);
  return s;
}

}  // namespace dc::train
