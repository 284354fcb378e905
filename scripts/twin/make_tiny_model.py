#!/usr/bin/python3
"""Writes the tiny random Dream checkpoint used by the tests (tests/testdata/tiny-dream/), in the
DiffuCoder file layout: config.json, two F32 safetensors shards, model.safetensors.index.json.

Shaped to exercise everything the 7B model has: GQA (4 query heads / 2 KV heads), q/k/v biases, an untied
lm_head. Weights are scaled so activations stay O(1) through the layers (N(0, 1/fan_in) matrices, N(0, 1)
embeddings, norm weights near 1, biases of 0.3), so attention is far from uniform and the logits vary.
The tokenizer files in the same folder come from the tokenizer's own fixture maker; this script leaves them.

Usage: scripts/twin/make_tiny_model.py [OUT_DIR]  (default tests/testdata/tiny-dream)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

CONFIG = {
    "architectures": ["DreamModel"],
    "model_type": "Dream",
    "attention_dropout": 0.0,
    "bos_token_id": 1003,
    "eos_token_id": 1000,
    "pad_token_id": 1000,
    "mask_token_id": 1004,
    "hidden_act": "silu",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "initializer_range": 0.02,
    "max_position_embeddings": 2048,
    "max_window_layers": 2,
    "rms_norm_eps": 1e-06,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "sliding_window": None,
    "use_sliding_window": False,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "use_cache": False,
    "vocab_size": 1024,
}


def random_tensors(cfg, seed=20250626):
    rng = np.random.default_rng(seed)
    C, F, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    H, Hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim") or C // H

    def mat(out, inp):
        return (rng.standard_normal((out, inp)) / np.sqrt(inp)).astype(np.float32)

    def vec(n, mean, std):
        return (mean + std * rng.standard_normal(n)).astype(np.float32)

    t = {"model.embed_tokens.weight": rng.standard_normal((V, C)).astype(np.float32)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = vec(C, 1.0, 0.1)
        t[p + "self_attn.q_proj.weight"] = mat(H * D, C)
        t[p + "self_attn.q_proj.bias"] = vec(H * D, 0.0, 0.3)
        t[p + "self_attn.k_proj.weight"] = mat(Hkv * D, C)
        t[p + "self_attn.k_proj.bias"] = vec(Hkv * D, 0.0, 0.3)
        t[p + "self_attn.v_proj.weight"] = mat(Hkv * D, C)
        t[p + "self_attn.v_proj.bias"] = vec(Hkv * D, 0.0, 0.3)
        t[p + "self_attn.o_proj.weight"] = mat(C, H * D)
        t[p + "post_attention_layernorm.weight"] = vec(C, 1.0, 0.1)
        t[p + "mlp.gate_proj.weight"] = mat(F, C)
        t[p + "mlp.up_proj.weight"] = mat(F, C)
        t[p + "mlp.down_proj.weight"] = mat(C, F)
    t["model.norm.weight"] = vec(C, 1.0, 0.1)
    if not cfg["tie_word_embeddings"]:
        t["lm_head.weight"] = mat(V, C) * 4.0  # logits of a few units: a peaked but not one-hot softmax
    return t


def write_sharded(out_dir, cfg, tensors, dtype="F32"):
    """Two shards: the embedding and the first half of the layers, then the rest (DiffuCoder layout)."""
    os.makedirs(out_dir, exist_ok=True)
    half = cfg["num_hidden_layers"] // 2
    first = {}
    second = {}
    for name, arr in tensors.items():
        in_first = name == "model.embed_tokens.weight" or (
            name.startswith("model.layers.") and int(name.split(".")[2]) < half
        )
        (first if in_first else second)[name] = arr
    shards = [("model-00001-of-00002.safetensors", first), ("model-00002-of-00002.safetensors", second)]
    weight_map = {}
    total = 0
    for fn, part in shards:
        safetensors_io.save_file(os.path.join(out_dir, fn), part, dtype=dtype)
        for name, arr in part.items():
            weight_map[name] = fn
            total += arr.size * (2 if dtype == "BF16" else 4)
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/testdata/tiny-dream"
    write_sharded(out, CONFIG, random_tensors(CONFIG))
    print(f"wrote {out}")
