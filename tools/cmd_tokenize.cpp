// `diffucoder tokenize`: text to token ids and back with a model's tokenizer (SPEC §2).
//   diffucoder tokenize --model PATH [--text T | < file]            ids, space separated
//   diffucoder tokenize --model PATH --json ...                      ids as a JSON array
//   diffucoder tokenize --model PATH --tokens ...                    one "id<TAB>spelling" line per token
//   diffucoder tokenize --model PATH --decode [--text "1 2 3" | < ids]   the text (no newline added)
// PATH: a model folder, a tokenizer folder, or a tokenizer.json file.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/error.h"
#include "tokenizer/id_list.h"
#include "tokenizer/tokenizer.h"

namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  bool has_text = false;
  bool json = false;
  bool tokens = false;
  bool decode = false;
  bool skip_special = false;
};

void run_tokenize(const TokenizeOptions& o) {
  const dc::Tokenizer tok = dc::Tokenizer::load(o.model);
  std::string input = o.text;
  const std::string source = o.has_text ? "--text" : "stdin";
  if (!o.has_text) input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());

  if (o.decode) {
    const auto ids = dc::tok::parse_id_list(input, source);
    for (int32_t id : ids) tok.token_text(id);  // throws, naming the tokenizer, for an id with no token
    const std::string text = tok.decode(ids, o.skip_special);
    if (o.json) {
      std::printf("%s\n", nlohmann::json(text).dump().c_str());
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return;
  }
  const auto ids = tok.encode(input);
  if (o.tokens) {
    for (int32_t id : ids) {
      const std::string spelling = nlohmann::json(tok.token_spelling(id)).dump();
      std::printf("%d\t%s\n", id, spelling.c_str());
    }
  } else if (o.json) {
    std::printf("%s\n", nlohmann::json(ids).dump().c_str());
  } else {
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
    std::printf("%s\n", line.c_str());
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
