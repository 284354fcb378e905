#!/usr/bin/env node
// Makes tests/testdata/tokenizer/bpe/golden.jsonl: Hugging Face `tokenizers` (the npm binding
// @anush008/tokenizers) encodes a few hundred strings with the tokenizer.json that `diffucoder tokenizer
// train` learned from bpe/corpus.txt; the C++ test checks dc::Tokenizer gives the same ids, and that
// training again reproduces tokenizer.json byte for byte.
//
// Usage (from scripts/tokenizer/, after `npm ci`; the tokenizer first):
//   diffucoder tokenizer train --input tests/testdata/tokenizer/bpe/corpus.txt \
//       --out tests/testdata/tokenizer/bpe --vocab-size 1000
//   node make_bpe_golden.js
// Strings: every 5th line of golden_qwen.jsonl (source snippets, Unicode edge cases, random strings,
// special tokens in text) plus chat-formatted code.
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("@anush008/tokenizers");

const kRepo = path.resolve(__dirname, "..", "..");
const kDir = path.join(kRepo, "tests", "testdata", "tokenizer");

async function main() {
  const tok = Tokenizer.fromFile(path.join(kDir, "bpe", "tokenizer.json"));
  const lines = fs.readFileSync(path.join(kDir, "golden_qwen.jsonl"), "utf8").split("\n").filter((l) => l.length);
  const texts = lines.filter((_, i) => i % 5 === 0).map((l) => JSON.parse(l).text);
  texts.push("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWrite a function.\n" +
             "<|im_end|>\n<|im_start|>assistant\ndef f(x):\n    return x + 1\n<|im_end|><|dlm_pad|><|dlm_pad|>");
  texts.push("<|mask|><|mask|>def<|mask|> g(<|endoftext|>");
  const rows = [];
  for (const text of texts) rows.push({ text, ids: (await tok.encode(text)).getIds() });
  const out = path.join(kDir, "bpe", "golden.jsonl");
  fs.writeFileSync(out, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  console.log(`wrote ${path.relative(kRepo, out)}: ${rows.length} lines`);
}

main().catch((e) => { console.error(e); process.exit(1); });
