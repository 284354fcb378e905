#include "train/data_selection.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "train/corpus.h"
#include "train/data.h"

namespace dc::train {
namespace {

// Shards: the train split of req.data[0], the val split of the --val folder (or the same one) if listed.
DataSelection select_shards(const DataRequest& req, const ModelConfig& cfg) {
  DataSelection s;
  const std::string& dir = req.data[0];
  auto shards = std::make_unique<ShardDataset>(dir, "train");
  if (shards->is_sft() != req.sft)
    throw_error("{}: holds {} shards, but this is `{}`", dir, shards->is_sft() ? "sft" : "text",
                req.sft ? "sft" : "train");
  if (shards->vocab_size() > cfg.vocab_size)
    throw_error("{}: token ids go up to {}, but the model has only {} rows", dir, shards->vocab_size(),
                cfg.vocab_size);
  s.seq_len = shards->seq_len();
  s.train = std::move(shards);
  const std::string val_dir = req.val.empty() ? dir : req.val[0];
  const auto manifest = nlohmann::json::parse(read_file(val_dir + "/dataset.json"), nullptr, false);
  if (manifest.is_object() && manifest.contains("splits") && manifest["splits"].is_object() &&
      manifest["splits"].contains("val")) {
    auto v = std::make_unique<ShardDataset>(val_dir, "val");
    if (v->size() > 0) s.val = std::move(v);
  }
  return s;
}

DataSelection select_sft_corpus(const DataRequest& req, const Tokenizer& tok, const std::string& tok_dir,
                                const ModelConfig& cfg) {
  const SftLayout layout = SftLayout::of(tok, cfg.arch, cfg.pad_token_id, tok_dir);
  if (req.data.size() != 1) throw_error("sft: give exactly one --data FILE.jsonl");
  DataSelection s;
  SftCorpus d = sft_corpus(tok, req.data[0], req.seq_len, layout);
  s.skipped = d.skipped;
  s.seq_len = req.seq_len;
  s.train = std::make_unique<InMemoryDataset>(std::move(d.data));
  if (!req.val.empty())
    s.val = std::make_unique<InMemoryDataset>(sft_corpus(tok, req.val[0], req.seq_len, layout).data);
  return s;
}

DataSelection select_text_corpus(const DataRequest& req, const Tokenizer& tok, const ModelConfig& cfg) {
  DataSelection s;
  s.seq_len = req.seq_len;
  s.train = std::make_unique<InMemoryDataset>(text_corpus(tok, req.data, req.seq_len, cfg.eos_token_id));
  if (!req.val.empty())
    s.val = std::make_unique<InMemoryDataset>(text_corpus(tok, req.val, req.seq_len, cfg.eos_token_id));
  return s;
}

}  // namespace

bool is_shard_folder(const std::string& path) {
  return std::filesystem::is_regular_file(std::filesystem::path(path) / "dataset.json");
}

DataSelection select_training_data(const DataRequest& req, const Tokenizer& tok, const std::string& tok_dir,
                                   const ModelConfig& cfg) {
  if (req.data.empty()) throw_error("no training data: give --data");
  if (req.data.size() == 1 && is_shard_folder(req.data[0])) return select_shards(req, cfg);
  if (req.sft) return select_sft_corpus(req, tok, tok_dir, cfg);
  return select_text_corpus(req, tok, cfg);
}

}  // namespace dc::train
