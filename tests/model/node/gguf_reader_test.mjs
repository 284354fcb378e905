// GGUF files written by `diffucoder convert --to gguf` read back by an independent parser, the Hugging Face
// Hub's @huggingface/gguf, and checked against what llama.cpp's Dream loader needs (SPEC §10):
//   * header: version 3, general.architecture "dream", the hyper-parameters of config.json under dream.*,
//     the tokenizer (gpt2 model, qwen2 pre-tokenizer, one entry per vocabulary token) and the mask id;
//   * tensors: llama.cpp's Dream names for every layer, ggml's dimension order (the reverse of
//     safetensors'), data offsets aligned to general.alignment, sizes from ggml's block table, no overlap,
//     inside the file;
//   * values, read at the parser's offsets: F32 and BF16 equal the checkpoint's BF16 weights exactly (no
//     permutation of q/k, as llama.cpp's Qwen2 converter writes them), Q8_0 and Q4_0 blocks decode to within
//     half a quantization step of them (a full step for Q4_0's clamped top value).
//
// Usage: node gguf_reader_test.mjs --binary build/bin/diffucoder --model models/diffucoder-tiny --work DIR
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";

const arg = (name) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`missing ${name}`);
  return process.argv[i + 1];
};
const binary = arg("--binary"), modelDir = arg("--model"), work = arg("--work");
mkdirSync(work, { recursive: true });

let failures = 0;
const check = (ok, what) => {
  if (!ok) {
    failures++;
    console.error(`FAIL ${what}`);
  }
};

// ggml's type table: [id, elements per block, bytes per block].
const GGML = { F32: [0, 1, 4], F16: [1, 1, 2], Q4_0: [2, 32, 18], Q8_0: [8, 32, 34], Q4_K: [12, 256, 144],
               Q6_K: [14, 256, 210], BF16: [30, 1, 2] };
const typeById = new Map(Object.entries(GGML).map(([name, [id, per, bytes]]) => [id, { name, per, bytes }]));

// The checkpoint itself: safetensors header and BF16 data, read here without the engine.
function readSafetensors(path) {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const base = 8 + n;
  const tensors = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (t.dtype !== "BF16") throw new Error(`${name}: expected BF16 weights in the checkpoint`);
    const bytes = buf.subarray(base + t.data_offsets[0], base + t.data_offsets[1]);
    tensors.set(name, { shape: t.shape, bytes });
  }
  return tensors;
}
const bf16ToF32 = (bytes, i) => {
  const f = new DataView(new ArrayBuffer(4));
  f.setUint32(0, bytes.readUInt16LE(2 * i) << 16);
  return f.getFloat32(0);
};
const f16ToF32 = (h) => {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
};

// Hugging Face names -> llama.cpp's Dream (Qwen2) names.
function ggufName(hf) {
  const fixed = { "model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
                  "lm_head.weight": "output.weight" };
  if (fixed[hf]) return fixed[hf];
  const m = hf.match(/^model\.layers\.(\d+)\.(.+)$/);
  if (!m) throw new Error(`unexpected checkpoint tensor ${hf}`);
  const parts = { "input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
                  "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
                  "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
                  "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
                  "self_attn.o_proj.weight": "attn_output.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
                  "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight" };
  if (!parts[m[2]]) throw new Error(`unexpected checkpoint tensor ${hf}`);
  return `blk.${m[1]}.${parts[m[2]]}`;
}

// Largest error of a tensor's decoded blocks against the source, in units of each block's step.
function quantizedError(type, data, source, count) {
  let worst = 0;
  const blocks = count / 32;
  for (let b = 0; b < blocks; b++) {
    if (type === "Q8_0") {
      const blk = data.subarray(34 * b, 34 * b + 34), d = f16ToF32(blk.readUInt16LE(0));
      for (let j = 0; j < 32; j++) {
        const err = Math.abs(d * blk.readInt8(2 + j) - source(32 * b + j));
        worst = Math.max(worst, d === 0 ? (err === 0 ? 0 : Infinity) : err / Math.abs(d));
      }
    } else {  // Q4_0: 16 bytes of nibbles, element j in the low nibble of byte j, j + 16 in the high one
      const blk = data.subarray(18 * b, 18 * b + 18), d = f16ToF32(blk.readUInt16LE(0));
      for (let j = 0; j < 32; j++) {
        const byte = blk[2 + (j % 16)], q = j < 16 ? byte & 0xf : byte >> 4;
        const err = Math.abs(d * (q - 8) - source(32 * b + j));
        worst = Math.max(worst, d === 0 ? (err === 0 ? 0 : Infinity) : err / Math.abs(d));
      }
    }
  }
  return worst;
}

const config = JSON.parse(readFileSync(join(modelDir, "config.json"), "utf8"));
const source = readSafetensors(join(modelDir, "model.safetensors"));

for (const type of ["f32", "bf16", "q8_0", "q4_0", "q4_k"]) {
  const path = join(work, `model-${type}.gguf`);
  execFileSync(binary, ["convert", "--model", modelDir, "--to", "gguf", "--type", type, "--out", path, "--force"],
               { stdio: ["ignore", "ignore", "inherit"] });
  const file = readFileSync(path);
  const { metadata: md, tensorInfos, tensorDataOffset } = await gguf(path, { allowLocalFile: true });
  const where = (what) => `${type}: ${what}`;

  // Header.
  check(md.version === 3, where(`version ${md.version}`));
  check(md["general.architecture"] === "dream", where(`architecture ${md["general.architecture"]}`));
  const expect = { "dream.embedding_length": config.hidden_size, "dream.feed_forward_length": config.intermediate_size,
                   "dream.block_count": config.num_hidden_layers, "dream.attention.head_count": config.num_attention_heads,
                   "dream.attention.head_count_kv": config.num_key_value_heads,
                   "dream.context_length": config.max_position_embeddings,
                   "tokenizer.ggml.mask_token_id": config.mask_token_id, "tokenizer.ggml.model": "gpt2",
                   "tokenizer.ggml.pre": "qwen2" };
  for (const [k, v] of Object.entries(expect)) check(md[k] === v, where(`${k} = ${md[k]}, expected ${v}`));
  check(Math.abs(md["dream.rope.freq_base"] - config.rope_theta) < 1e-3, where("dream.rope.freq_base"));
  check(Math.abs(md["dream.attention.layer_norm_rms_epsilon"] - config.rms_norm_eps) < 1e-9,
        where("dream.attention.layer_norm_rms_epsilon"));
  check(md["tokenizer.ggml.tokens"]?.length === config.vocab_size, where("one token string per vocabulary entry"));
  check(md["tokenizer.ggml.token_type"]?.length === config.vocab_size, where("one token type per vocabulary entry"));
  check(md["tokenizer.ggml.merges"]?.length > 0, where("BPE merges"));

  // Tensors: names, shapes, layout.
  const alignment = md["general.alignment"] ?? 32;
  check(tensorDataOffset % BigInt(alignment) === 0n, where(`data section at ${tensorDataOffset}`));
  const infos = new Map(tensorInfos.map((t) => [t.name, t]));
  check(infos.size === source.size, where(`${infos.size} tensors, the checkpoint has ${source.size}`));
  const ranges = [];
  for (const [hf, src] of source) {
    const name = ggufName(hf), info = infos.get(name);
    if (!info) {
      check(false, where(`no tensor ${name}`));
      continue;
    }
    const shape = info.shape.map(Number);
    check(JSON.stringify(shape) === JSON.stringify([...src.shape].reverse()),
          where(`${name} shape [${shape}] against the checkpoint's [${src.shape}]`));
    const t = typeById.get(info.dtype);
    if (!t) {
      check(false, where(`${name}: ggml type ${info.dtype} is none that SPEC §10 allows`));
      continue;
    }
    const count = shape.reduce((a, b) => a * b, 1);
    check(count % t.per === 0, where(`${name}: ${count} elements, not whole ${t.name} blocks`));
    const size = (count / t.per) * t.bytes, start = Number(tensorDataOffset + info.offset);
    check(Number(info.offset) % alignment === 0, where(`${name} offset ${info.offset} not aligned to ${alignment}`));
    check(start + size <= file.length, where(`${name} ends past the file`));
    ranges.push([start, start + size, name]);
    const data = file.subarray(start, start + size);
    const value = (i) => bf16ToF32(src.bytes, i);

    // Values at the parser's offsets.
    if (t.name === "F32") {
      let same = true;
      for (let i = 0; i < count && same; i++) same = data.readFloatLE(4 * i) === value(i);
      check(same, where(`${name}: F32 values differ from the checkpoint's`));
    } else if (t.name === "BF16") {
      check(data.equals(src.bytes), where(`${name}: BF16 bytes differ from the checkpoint's`));
    } else if (t.name === "Q8_0" || t.name === "Q4_0") {
      const worst = quantizedError(t.name, data, value, count);
      const bound = t.name === "Q8_0" ? 0.5 + 1e-3 : 1 + 1e-3;
      check(worst <= bound, where(`${name}: ${t.name} error ${worst.toFixed(3)} steps (bound ${bound})`));
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++)
    check(ranges[i][0] >= ranges[i - 1][1], where(`${ranges[i - 1][2]} overlaps ${ranges[i][2]}`));
  const types = [...new Set(tensorInfos.map((t) => typeById.get(t.dtype)?.name))].sort().join(", ");
  console.log(`${type}: ${tensorInfos.length} tensors (${types}), ${file.length} bytes: read back by @huggingface/gguf`);
}

if (failures > 0) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("gguf_reader_test: all checks passed");
