#!/usr/bin/python3
"""Gradient fixtures for the training pass (src/model/dream_backward.cpp), from the PyTorch twin.

For the committed tiny model (tests/testdata/tiny-dream) and one fixed masked-diffusion batch, writes
  tests/testdata/twin/grad_batch.json           the batch (noisy tokens, head rows, targets, weights) and loss
  tests/testdata/twin/grad_tiny_dream.safetensors  dLoss/dparam of every parameter (fp32, HF names)
The loss is sum_r weight[r] * CE(raw logits row rows[r], targets[r]) with weights 1/(t_b * masked), the
masked-diffusion objective of SPEC section 5; autograd through DreamTwin.hidden/head gives the gradients.
Run from the repository root: /usr/bin/python3 scripts/twin/make_grad_fixtures.py
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from dream_twin import DreamTwin  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "tests/testdata/tiny-dream")
OUT = os.path.join(ROOT, "tests/testdata/twin")


def main():
    torch.manual_seed(0)
    twin = DreamTwin.from_folder(MODEL, torch.float32)
    cfg = twin.cfg
    for t in twin.w.values():
        t.requires_grad_(True)
    rng = np.random.default_rng(20260611)
    B, N = 2, 24
    clean = rng.integers(0, 1000, size=(B, N))
    noisy = clean.copy()
    ts = rng.uniform(0.2, 0.9, size=B)
    masked = [(b, p) for b in range(B) for p in range(1, N) if rng.uniform() < ts[b]]
    for b, p in masked:
        noisy[b, p] = cfg["mask_token_id"]
    rows = [b * N + p - 1 for b, p in masked]
    targets = [int(clean[b, p]) for b, p in masked]
    weights = [float(np.float32(1.0 / (ts[b] * len(masked)))) for b, _ in masked]
    h = twin.hidden(torch.from_numpy(noisy).long())
    logits = twin.head(h.reshape(B * N, -1)[torch.tensor(rows)])
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor(targets), reduction="none")
    loss = (ce * torch.tensor(weights)).sum()
    loss.backward()
    grads = {n: t.grad.detach().numpy().astype(np.float32) for n, t in twin.w.items()}
    safetensors_io.save_file(os.path.join(OUT, "grad_tiny_dream.safetensors"), grads, "F32")
    with open(os.path.join(OUT, "grad_batch.json"), "w") as f:
        json.dump({"B": B, "N": N, "tokens": noisy.reshape(-1).tolist(), "rows": rows, "targets": targets,
                   "weights": weights, "loss": float(loss)}, f)
        f.write("\n")
    print(f"loss {float(loss):.6f}, {len(rows)} masked rows, {len(grads)} gradients")


if __name__ == "__main__":
    main()
