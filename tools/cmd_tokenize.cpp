// `diffucoder tokenize`: text to token ids and back with a model's tokenizer (SPEC §2).
//   diffucoder tokenize --model PATH [--text T | < file]            ids, space separated
//   diffucoder tokenize --model PATH --json ...                      ids as a JSON array
//   diffucoder tokenize --model PATH --tokens ...                    one "id<TAB>spelling" line per token
//   diffucoder tokenize --model PATH --decode [--text "1 2 3" | < ids]   the text (no newline added)
// PATH: a model folder, a tokenizer folder, or a tokenizer.json file.
// Memory: the input is capped at kMaxInputBytes (32 MiB) and the output is written as it is formatted (no
// JSON value per id), so a run holds the input, its ids and the tokenizer's working copies: measured peak
// 156 MB for 10 MB of random bytes (the worst case: every invalid byte becomes a 3-byte U+FFFD and nearly
// every byte a token; it was 691 MB with --json), 25 MB for 4.7 MB of Python source.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "bounded_input.h"
#include "cli.h"
#include "core/error.h"
#include "model/model_files.h"
#include "tokenizer/id_list.h"
#include "tokenizer/tokenizer.h"

namespace {

// The largest input one run tokenizes (see the file comment).
constexpr uint64_t kMaxInputBytes = uint64_t(32) << 20;

struct TokenizeOptions {
  std::string model;
  std::string text;
  bool has_text = false;
  bool json = false;
  bool tokens = false;
  bool decode = false;
  bool skip_special = false;
};

// Output in 64 KiB pieces: the formatted ids of a large input are several times its size.
class Out {
 public:
  ~Out() { flush(); }
  Out& operator<<(std::string_view s) {
    buf_ += s;
    if (buf_.size() >= (1 << 16)) flush();
    return *this;
  }
  void flush() {
    std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    buf_.clear();
  }

 private:
  std::string buf_;
};

void run_tokenize(const TokenizeOptions& o) {
  const dc::Tokenizer tok = dc::load_model_tokenizer(o.model);
  const std::string source = o.has_text ? "--text" : "stdin";
  if (o.text.size() > kMaxInputBytes)
    dc::throw_error("--text is larger than {} MiB, the cap for one input", kMaxInputBytes >> 20);
  const std::string input = o.has_text ? o.text : dc::cli::read_stdin_capped(kMaxInputBytes, "tokenize");

  Out out;
  if (o.decode) {
    const auto ids = dc::tok::parse_id_list(input, source);
    for (int32_t id : ids) tok.token_text(id);  // throws, naming the tokenizer, for an id with no token
    const std::string text = tok.decode(ids, o.skip_special);
    if (o.json) {
      out << nlohmann::json(text).dump() << "\n";
    } else {
      out << text;
    }
    return;
  }
  const auto ids = tok.encode(input);
  if (o.tokens) {
    for (int32_t id : ids)
      out << std::to_string(id) << "\t" << nlohmann::json(tok.token_spelling(id)).dump() << "\n";
  } else {
    // The JSON array as nlohmann's compact dump writes it ([1,2,3]), without building a json value per id.
    const std::string_view sep = o.json ? "," : " ";
    if (o.json) out << "[";
    for (size_t i = 0; i < ids.size(); ++i) out << (i ? sep : "") << std::to_string(ids[i]);
    out << (o.json ? "]\n" : "\n");
  }
}

}  // namespace

DC_SUBCOMMAND("tokenize", [](CLI::App& app) {
  auto* sub = app.add_subcommand("tokenize", "text to token ids (or ids to text with --decode)");
  auto opts = std::make_shared<TokenizeOptions>();
  sub->add_option("--model", opts->model, "model folder, tokenizer folder, or tokenizer.json")->required();
  auto* text = sub->add_option("--text", opts->text, "input (default: read stdin)");
  sub->add_flag("--json", opts->json, "print ids as a JSON array (with --decode: the text as a JSON string)");
  sub->add_flag("--tokens", opts->tokens, "print one line per token: id, tab, its spelling as a JSON string");
  sub->add_flag("--decode", opts->decode, "read ids (JSON array, or separated by spaces/commas), print text");
  sub->add_flag("--skip-special", opts->skip_special, "with --decode: leave out special tokens");
  sub->callback([opts, text] {
    opts->has_text = text->count() > 0;
    run_tokenize(*opts);
  });
});
