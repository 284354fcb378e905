#!/usr/bin/python3
"""The PyTorch side of bench/model_step_bench.cpp: times one denoising step of the twin on a checkpoint.

One step = the twin's forward pass over a canvas of `--prompt` prompt tokens followed by masks (the first
step of decoding: every generated slot masked), then the final norm and lm_head only at the rows that
predict masked positions (raw rows p-1), exactly the work the C++ engine does. Weights and activations are in
`--dtype` (bf16 runs F.linear on bfloat16 tensors, which PyTorch sends to oneDNN on CPUs with AVX512-BF16;
RMSNorm and softmax upcast to fp32 as in HF). f32 products also go to oneDNN (DreamTwin onednn_f32): Debian's
torch has only a generic fp32 BLAS (about 1 GFLOP/s), which would make the twin ~100x slower and the
comparison meaningless. Set OMP_WAIT_POLICY=PASSIVE in the environment.

Prints one line per canvas: "twin canvas=N masked=R ms_per_step=X".
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dream_twin import DreamTwin  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="bf16")
    ap.add_argument("--canvas", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    twin = DreamTwin.from_folder(args.model, dtype=dtype, onednn_f32=True)
    mask = twin.cfg["mask_token_id"]
    for n in args.canvas:
        # Prompt tokens by the same formula as the C++ side; the rest masked.
        toks = [(i * 7919 + 13) % 150000 for i in range(args.prompt)] + [mask] * (n - args.prompt)
        tokens = torch.tensor([toks], dtype=torch.int64)
        rows = torch.tensor([p - 1 for p in range(1, n) if toks[p] == mask])
        times = []
        with torch.inference_mode():
            for it in range(args.warmup + args.iters):
                t0 = time.perf_counter()
                h = twin.hidden(tokens)
                logits = twin.head(h[0, rows])
                dt = time.perf_counter() - t0
                assert torch.isfinite(logits).all()
                if it >= args.warmup:
                    times.append(dt)
        times.sort()
        print(f"twin canvas={n} masked={len(rows)} ms_per_step={1000 * times[len(times) // 2]:.1f}", flush=True)


if __name__ == "__main__":
    main()
