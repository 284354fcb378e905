// Converts a tokenizer in the "slow" layout (vocab.json, merges.txt, tokenizer_config.json) to a Hugging
// Face tokenizer.json with the Qwen2 pipeline (NFC, Qwen2 split regex, byte-level BPE), as transformers'
// Qwen2 converter does. Used only to check the slow files against the Hugging Face implementation.
"use strict";
const fs = require("fs");
const path = require("path");

const kQwen2Pattern =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function slowToFast(dir) {
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, "vocab.json"), "utf8"));
  const merges = fs.readFileSync(path.join(dir, "merges.txt"), "utf8").split("\n")
    .filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith("#version")));
  const config = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  const added = Object.entries(config.added_tokens_decoder || {}).map(([id, t]) => ({
    id: Number(id), content: t.content, single_word: !!t.single_word, lstrip: !!t.lstrip,
    rstrip: !!t.rstrip, normalized: !!t.normalized, special: !!t.special,
  })).sort((a, b) => a.id - b.id);
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: "1.0", truncation: null, padding: null, added_tokens: added,
    normalizer: { type: "NFC" },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: kQwen2Pattern }, behavior: "Isolated", invert: false }, byteLevel] },
    post_processor: byteLevel, decoder: byteLevel,
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "",
             fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}

module.exports = { slowToFast };
