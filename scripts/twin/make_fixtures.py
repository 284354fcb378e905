#!/usr/bin/python3
"""Writes the twin's reference logits for the tiny Dream model (tests/testdata/twin/).

One left-padded batch (B=3, N=12): sequence 0 has 4 pad slots, sequence 1 none, sequence 2 has 7; each
holds masks (1004) right after its prompt and further in. Three references, each RAW rows (B, N, V)
little-endian float32, row i of sequence b = the output at hidden state i (it predicts position i+1),
pad rows included (they must come out finite):
  dream_logits_f32.bin   the committed F32 checkpoint, fp32 arithmetic;
  dream_logits_tied.bin  the same weights without lm_head.weight and tie_word_embeddings=true
                         (the head is the embedding matrix);
  dream_logits_bf16.bin  every weight rounded to bf16 (round-to-nearest-even), fp32 arithmetic: what a BF16
                         checkpoint of the same model gives an engine that widens weights to fp32.
dream_forward.json describes the batch and the files; it also records, per reference, the largest row-wise
relative gap between the bf16-weight reference and the same model run with bf16 activations (HF's bf16
mode), a measure of how far bf16 rounding of activations alone moves these logits.

Usage: scripts/twin/make_fixtures.py [MODEL_DIR] [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from dream_twin import DreamTwin  # noqa: E402

P = 1000  # pad_token_id
M = 1004  # mask_token_id
TOKENS = [
    [P, P, P, P, 17, 230, 5, 998, M, M, 41, M],
    [1003, 12, 400, 9, 77, 512, M, M, M, 3, M, M],
    [P, P, P, P, P, P, P, 88, 600, M, M, M],
]


def rel_gap(a, b):
    """max over rows of max|a-b| / max|b| (the tests' definition)."""
    a = a.reshape(-1, a.shape[-1]).double()
    b = b.reshape(-1, b.shape[-1]).double()
    return float(((a - b).abs().amax(-1) / b.abs().amax(-1)).max())


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else "tests/testdata/tiny-dream"
    out = sys.argv[2] if len(sys.argv) > 2 else "tests/testdata/twin"
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    tokens = torch.tensor(TOKENS, dtype=torch.int64)
    valid = tokens != P
    valid[1] = True  # sequence 1 is unpadded (its 1003 is bos)
    with open(os.path.join(model, "config.json")) as f:
        cfg = json.load(f)
    tensors = safetensors_io.load_folder(model)

    f32 = DreamTwin(cfg, tensors).raw_logits(tokens, valid)
    tied_t = {k: v for k, v in tensors.items() if k != "lm_head.weight"}
    tied = DreamTwin(dict(cfg, tie_word_embeddings=True), tied_t).raw_logits(tokens, valid)
    bf16_t = {k: safetensors_io.bf16_bits_to_f32(safetensors_io.f32_to_bf16_bits(v)) for k, v in tensors.items()}
    bf16 = DreamTwin(cfg, bf16_t).raw_logits(tokens, valid)
    bf16_act = DreamTwin(cfg, bf16_t, dtype=torch.bfloat16).raw_logits(tokens, valid)

    for name, arr in [("f32", f32), ("tied", tied), ("bf16", bf16)]:
        assert torch.isfinite(arr).all()
        arr.numpy().astype("<f4").tofile(os.path.join(out, f"dream_logits_{name}.bin"))
    meta = {
        "model": "tests/testdata/tiny-dream",
        "batch": len(TOKENS),
        "length": len(TOKENS[0]),
        "vocab": int(f32.shape[-1]),
        "tokens": TOKENS,
        "valid": valid.int().tolist(),
        "layout": "raw rows (batch, length, vocab) float32 little-endian; row i predicts position i+1",
        "files": {
            "f32": "dream_logits_f32.bin",
            "tied": "dream_logits_tied.bin",
            "bf16": "dream_logits_bf16.bin",
        },
        "bf16_weights_vs_f32_rel_gap": rel_gap(bf16, f32),
        "bf16_activations_vs_bf16_weights_rel_gap": rel_gap(bf16_act, bf16),
    }
    with open(os.path.join(out, "dream_forward.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(json.dumps({k: meta[k] for k in meta if "gap" in k}))


if __name__ == "__main__":
    main()
