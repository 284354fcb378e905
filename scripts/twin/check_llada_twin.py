#!/usr/bin/python3
"""Independent check of the LLaDA fixtures: recomputes docs/LLADA.md section 4 in float64 numpy, one token
and one head at a time (explicit RoPE pair rotation, explicit kv-head index, -inf on padding keys), and
compares with the committed llada_logits_f32.bin / llada_gqa_logits_f32.bin. No torch.

Usage: scripts/twin/check_llada_twin.py   (from the repository root; prints the row-relative gaps, exits 1
above 1e-5)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

TWIN = "tests/testdata/twin"


def reference_logits(folder, tokens, valid):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    t = {k: np.asarray(v, np.float64) for k, v in safetensors_io.load_folder(folder).items()}
    C, H, KV = cfg["d_model"], cfg["n_heads"], cfg["n_kv_heads"]
    D, eps, theta = C // H, cfg["rms_norm_eps"], cfg["rope_theta"]
    B, N = tokens.shape

    def norm(x, w):
        return w * x / np.sqrt((x * x).mean() + eps)

    def rope(v, pos):  # lane i pairs with lane i + D/2
        out = v.copy()
        for i in range(D // 2):
            a = pos * theta ** (-2.0 * i / D)
            c, s = np.cos(a), np.sin(a)
            out[i] = v[i] * c - v[i + D // 2] * s
            out[i + D // 2] = v[i + D // 2] * c + v[i] * s
        return out

    head = t["model.transformer.wte.weight"] if cfg["weight_tying"] else t["model.transformer.ff_out.weight"]
    out = []
    for b in range(B):
        x = t["model.transformer.wte.weight"][tokens[b]].copy()
        for layer in range(cfg["n_layers"]):
            p = f"model.transformer.blocks.{layer}."
            h = np.stack([norm(x[i], t[p + "attn_norm.weight"]) for i in range(N)])
            q, k, v = (h @ t[p + n + ".weight"].T for n in ("q_proj", "k_proj", "v_proj"))
            o = np.zeros((N, C))
            for hd in range(H):
                g = hd // (H // KV)
                qs = np.stack([rope(q[i, hd * D:(hd + 1) * D], i) for i in range(N)])
                ks = np.stack([rope(k[i, g * D:(g + 1) * D], i) for i in range(N)])
                s = qs @ ks.T / np.sqrt(D)
                s[:, valid[b] == 0] = -np.inf
                pr = np.exp(s - s.max(1, keepdims=True))
                pr /= pr.sum(1, keepdims=True)
                o[:, hd * D:(hd + 1) * D] = pr @ v[:, g * D:(g + 1) * D]
            x = x + o @ t[p + "attn_out.weight"].T
            h = np.stack([norm(x[i], t[p + "ff_norm.weight"]) for i in range(N)])
            a, u = h @ t[p + "ff_proj.weight"].T, h @ t[p + "up_proj.weight"].T
            x = x + (a / (1.0 + np.exp(-a)) * u) @ t[p + "ff_out.weight"].T
        h = np.stack([norm(x[i], t["model.transformer.ln_f.weight"]) for i in range(N)])
        out.append(h @ head.T)
    return np.stack(out)


def main():
    with open(os.path.join(TWIN, "llada_forward.json")) as f:
        meta = json.load(f)
    worst = 0.0
    for entry in (meta, meta["gqa"]):
        tokens, valid = np.array(entry["tokens"]), np.array(entry["valid"])
        ref = reference_logits(entry["model"], tokens, valid)
        got = np.fromfile(os.path.join(TWIN, entry["files"]["f32"]), "<f4").reshape(ref.shape)
        gap = float((np.abs(got - ref).max(-1) / np.abs(ref).max(-1)).max())
        print(f"{entry['model']}: {entry['files']['f32']} vs float64 recomputation, row-relative gap {gap:.2e}")
        worst = max(worst, gap)
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    main()
