#!/usr/bin/python3
"""Writes the LLaDA test fixtures (docs/LLADA.md, "Fixtures"): two tiny random checkpoints in LLaDA's
Hugging Face layout, the twin's logits on fixed canvases and greedy trajectories of LLaDA's sampler.

  tests/testdata/tiny-llada/        MHA (4 heads, 4 KV heads), untied head (transformer.ff_out), 2 layers,
                                    d_model 64, mlp 160, vocab_size = embedding_size = 384, mask id 336 given
                                    by config.json's mask_token_id; two F32 shards + model.safetensors.index.json
  tests/testdata/tiny-llada-gqa/    GQA (4 heads, 2 KV heads), weight_tying (no transformer.ff_out), 2 layers,
                                    d_model 32, mlp 96, vocab_size 250 < embedding_size 256 (logits have 256
                                    columns), rope_theta 500000, mask id 200; one model.safetensors
  tests/testdata/twin/llada_forward.json        the canvases and the files below
  tests/testdata/twin/llada_logits_f32.bin      tiny-llada, F32 weights, fp32 arithmetic
  tests/testdata/twin/llada_logits_bf16.bin     tiny-llada, weights rounded to bf16, fp32 arithmetic
  tests/testdata/twin/llada_gqa_logits_f32.bin  tiny-llada-gqa, F32
      each (batch, length, columns) little-endian float32, UNSHIFTED: row i scores canvas position i
  tests/testdata/twin/trajectories_tiny_llada.json  greedy low_confidence trajectories on tiny-llada

Everything is deterministic (fixed seeds, one thread): re-running reproduces the files byte for byte.

Usage: scripts/twin/make_llada_fixtures.py   (from the repository root; /usr/bin/python3 with torch)
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from llada_twin import LLaDATwin, generate, tensor_shapes  # noqa: E402


def llada_config(**over):
    """A config.json with every key LLaDA-8B's has (same values), sizes and special ids from `over`."""
    cfg = {
        "activation_type": "silu",
        "alibi": False,
        "alibi_bias_max": 8.0,
        "architectures": ["LLaDAModelLM"],
        "attention_dropout": 0.0,
        "attention_layer_norm": False,
        "attention_layer_norm_with_affine": True,
        "auto_map": {
            "AutoConfig": "configuration_llada.LLaDAConfig",
            "AutoModelForCausalLM": "modeling_llada.LLaDAModelLM",
            "AutoModel": "modeling_llada.LLaDAModelLM",
        },
        "bias_for_layer_norm": False,
        "block_group_size": 1,
        "block_type": "llama",
        "d_model": 4096,
        "embedding_dropout": 0.0,
        "embedding_size": 126464,
        "eos_token_id": 126081,
        "flash_attention": False,
        "include_bias": False,
        "include_qkv_bias": False,
        "init_cutoff_factor": None,
        "init_device": "meta",
        "init_fn": "mitchell",
        "init_std": 0.02,
        "input_emb_norm": False,
        "layer_norm_type": "rms",
        "layer_norm_with_affine": True,
        "mask_token_id": 126336,
        "max_sequence_length": 4096,
        "mlp_hidden_size": 12288,
        "mlp_ratio": 4,
        "model_type": "llada",
        "multi_query_attention": None,
        "n_heads": 32,
        "n_kv_heads": 32,
        "n_layers": 32,
        "pad_token_id": 126081,
        "precision": "amp_bf16",
        "residual_dropout": 0.0,
        "rms_norm_eps": 1e-05,
        "rope": True,
        "rope_full_precision": True,
        "rope_theta": 500000.0,
        "scale_logits": False,
        "transformers_version": "4.46.3",
        "use_cache": False,
        "vocab_size": 126464,
        "weight_tying": False,
    }
    for k, v in over.items():
        assert k in cfg, k
        cfg[k] = v
    return cfg


MHA_CONFIG = llada_config(d_model=64, n_heads=4, n_kv_heads=4, n_layers=2, mlp_hidden_size=160, mlp_ratio=4,
                          vocab_size=384, embedding_size=384, mask_token_id=336, eos_token_id=301,
                          pad_token_id=301, max_sequence_length=256, rope_theta=10000.0)
GQA_CONFIG = llada_config(d_model=32, n_heads=4, n_kv_heads=2, n_layers=2, mlp_hidden_size=96, mlp_ratio=3,
                          vocab_size=250, embedding_size=256, mask_token_id=200, eos_token_id=201,
                          pad_token_id=201, max_sequence_length=256, weight_tying=True)


def random_tensors(cfg, seed):
    """N(0, 1/fan_in) matrices, norm weights near 1; activations stay O(1), logits of a few units."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in sorted(tensor_shapes(cfg).items()):
        if len(shape) == 1:
            out[name] = (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        elif name == "model.transformer.wte.weight":
            scale = 0.5 if cfg["weight_tying"] else 1.0  # the tied head reads it: keep logits moderate
            out[name] = (scale * rng.standard_normal(shape)).astype(np.float32)
        elif name == "model.transformer.ff_out.weight":
            out[name] = (4.0 * rng.standard_normal(shape) / np.sqrt(shape[1])).astype(np.float32)
        else:
            out[name] = (rng.standard_normal(shape) / np.sqrt(shape[1])).astype(np.float32)
    return out


def write_config(folder, cfg):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def write_sharded(folder, cfg, tensors):
    """Two shards (wte and the first half of the blocks; the rest) and model.safetensors.index.json."""
    write_config(folder, cfg)
    half = cfg["n_layers"] // 2
    parts = ({}, {})
    for name, arr in tensors.items():
        first = name == "model.transformer.wte.weight" or (
            name.startswith("model.transformer.blocks.") and int(name.split(".")[3]) < half)
        parts[0 if first else 1][name] = arr
    weight_map, total = {}, 0
    for i, part in enumerate(parts):
        fn = f"model-0000{i + 1}-of-00002.safetensors"
        safetensors_io.save_file(os.path.join(folder, fn), part)
        for name, arr in part.items():
            weight_map[name] = fn
            total += arr.size * 4
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
        f.write("\n")


def write_single(folder, cfg, tensors):
    write_config(folder, cfg)
    safetensors_io.save_file(os.path.join(folder, "model.safetensors"), tensors)


def rel_gap(a, b):
    """max over rows of max|a-b| / max|b| (the tests' definition)."""
    a = a.reshape(-1, a.shape[-1]).double()
    b = b.reshape(-1, b.shape[-1]).double()
    return float(((a - b).abs().amax(-1) / b.abs().amax(-1)).max())


def canvases(cfg):
    """Three rows of 12: left padding (4 slots), none, left padding (7 slots); masks after and inside."""
    P, M = cfg["pad_token_id"], cfg["mask_token_id"]
    rows = [
        [P, P, P, P, 17, 230, 5, 198, M, M, 41, M],
        [150, 12, 199, 9, 77, 112, M, M, M, 3, M, M],
        [P, P, P, P, P, P, P, 88, 100, M, M, M],
    ]
    tokens = torch.tensor(rows, dtype=torch.int64)
    valid = tokens != P
    return rows, tokens, valid


def forward_fixtures(mha_dir, gqa_dir, out):
    torch.set_num_threads(1)
    meta = {}
    for key, folder, cfg in (("mha", mha_dir, MHA_CONFIG), ("gqa", gqa_dir, GQA_CONFIG)):
        rows, tokens, valid = canvases(cfg)
        tensors = safetensors_io.load_folder(folder)
        f32 = LLaDATwin(cfg, tensors).logits(tokens, valid)
        assert torch.isfinite(f32).all()
        entry = {
            "model": folder,
            "batch": len(rows),
            "length": len(rows[0]),
            "vocab": int(f32.shape[-1]),
            "tokens": rows,
            "valid": valid.int().tolist(),
            "files": {},
        }
        if key == "mha":
            f32.numpy().astype("<f4").tofile(os.path.join(out, "llada_logits_f32.bin"))
            bf16_t = {k: safetensors_io.bf16_bits_to_f32(safetensors_io.f32_to_bf16_bits(v)) for k, v in tensors.items()}
            bf16 = LLaDATwin(cfg, bf16_t).logits(tokens, valid)
            bf16_act = LLaDATwin(cfg, bf16_t, dtype=torch.bfloat16).logits(tokens, valid)
            bf16.numpy().astype("<f4").tofile(os.path.join(out, "llada_logits_bf16.bin"))
            entry["files"] = {"f32": "llada_logits_f32.bin", "bf16": "llada_logits_bf16.bin"}
            entry["bf16_weights_vs_f32_rel_gap"] = rel_gap(bf16, f32)
            entry["bf16_activations_vs_bf16_weights_rel_gap"] = rel_gap(bf16_act, bf16)
            # Left padding shifts RoPE positions in LLaDA: row 0 without its pads is NOT rows 4.. of the batch.
            alone = LLaDATwin(cfg, tensors).logits(tokens[:1, 4:], None)
            entry["padded_vs_unpadded_row0_rel_gap"] = rel_gap(f32[0, 4:], alone[0])
            meta.update(entry)
        else:
            f32.numpy().astype("<f4").tofile(os.path.join(out, "llada_gqa_logits_f32.bin"))
            entry["files"] = {"f32": "llada_gqa_logits_f32.bin"}
            meta["gqa"] = entry
    meta["layout"] = ("logits (batch, length, vocab) float32 little-endian, UNSHIFTED: row i scores canvas "
                      "position i; valid = attention mask (0 = pad key, masked for every query; pad rows are "
                      "finite); RoPE positions are 0..length-1 whatever the padding")
    with open(os.path.join(out, "llada_forward.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(json.dumps({k: meta[k] for k in meta if "gap" in k}))


CASES = [  # (max_new_tokens, steps, block_length, cfg_scale)
    (16, 16, 16, 0.0),
    (16, 8, 16, 0.0),
    (16, 1, 16, 0.0),
    (16, 16, 4, 0.0),
    (16, 8, 8, 0.0),
    (16, 6, 8, 0.0),   # 8 masks per block over 3 steps: 3, 3, 2
    (16, 4, 4, 0.0),   # one step per block commits the whole block
    (24, 12, 8, 0.0),
    (24, 9, 8, 0.0),
    (16, 8, 8, 0.5),   # classifier-free guidance: prompt (and pads) masked in the unconditional copy
]
PROMPTS = [[17, 230, 5, 198], [150, 12, 199, 9, 77, 112, 3], [88, 100]]


def trajectory_fixtures(mha_dir, out):
    torch.set_num_threads(1)
    twin = LLaDATwin.from_folder(mha_dir)
    mask_id, pad_id = twin.mask_id, twin.cfg["pad_token_id"]

    def run(prompts, L, steps, bl, cfg_scale):
        r = generate(twin.logits, prompts, mask_id, pad_id, L, steps, bl, cfg_scale)
        masks = sum(t == mask_id for row in r["order"] for _, _, t in row)
        ok = r["gaps"]["boundary"] > 1e-4 and r["gaps"]["token"] > 1e-4 and masks == 0
        print(f"  {len(prompts)} prompt(s) L={L} steps={steps} block={bl} cfg={cfg_scale}: boundary gap "
              f"{r['gaps']['boundary']:.3g} token gap {r['gaps']['token']:.3g} {'ok' if ok else 'AMBIGUOUS, dropped'}")
        if not ok:
            return None
        case = {"max_new_tokens": L, "steps": steps, "alg": "low_confidence", "block_length": bl}
        if cfg_scale:
            case["cfg_scale"] = cfg_scale
        case.update(history=r["history"], order=r["order"])
        return case

    cases = [c for c in (run(PROMPTS, *spec) for spec in CASES) if c]
    unpadded = []
    for p in PROMPTS:
        c = run([p], 16, 8, 4, 0.0)
        if c:
            unpadded.append(dict(prompts=[p], **c))
    fx = {"model": mha_dir, "mask_token_id": mask_id, "pad_token_id": pad_id, "logits_shift": False,
          "prompts": PROMPTS, "cases": cases, "unpadded_cases": unpadded}
    with open(os.path.join(out, "trajectories_tiny_llada.json"), "w") as f:
        json.dump(fx, f, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} batch cases, {len(unpadded)} single-prompt cases")


def main():
    mha_dir, gqa_dir, out = "tests/testdata/tiny-llada", "tests/testdata/tiny-llada-gqa", "tests/testdata/twin"
    os.makedirs(out, exist_ok=True)
    write_sharded(mha_dir, MHA_CONFIG, random_tensors(MHA_CONFIG, 20250214))
    write_single(gqa_dir, GQA_CONFIG, random_tensors(GQA_CONFIG, 20250527))
    forward_fixtures(mha_dir, gqa_dir, out)
    trajectory_fixtures(mha_dir, out)


if __name__ == "__main__":
    main()
