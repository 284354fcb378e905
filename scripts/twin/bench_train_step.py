#!/usr/bin/python3
"""The PyTorch side of bench/train_step_bench.cpp: times one masked-diffusion training step of the twin.

One step = forward of DreamTwin on a (B, N) batch with masked positions (t ~ U(1e-3, 1) per sequence), the
head on the rows that predict masked positions, the 1/t-weighted cross-entropy normalised by the masked
count, autograd backward, gradient clipping to norm 1 and torch.optim.AdamW: the same work as the C++ step.
Every matrix product goes to oneDNN through small autograd functions (forward and both backward products),
since Debian's torch has only a generic fp32 BLAS (about 2 GFLOP/s), as in bench_step.py. Set
OMP_WAIT_POLICY=PASSIVE in the environment.

Prints "twin batch=B seq=N ms_per_step=X tokens_per_s=Y".
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dream_twin import DreamTwin  # noqa: E402


def mm_nt(a, b):
    """a (M, K) @ b (N, K)^T through oneDNN."""
    return torch._C._nn.mkldnn_linear(a.contiguous().to_mkldnn(), b.contiguous().to_mkldnn(), None).to_dense()


class LinearNT(torch.autograd.Function):
    """y = a b^T (+ bias) with oneDNN products forward and backward."""

    @staticmethod
    def forward(ctx, a, b, bias):
        ctx.save_for_backward(a, b)
        ctx.has_bias = bias is not None
        y = mm_nt(a, b)
        return y + bias if bias is not None else y

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = mm_nt(g, b.t())  # (M, N) @ (N, K)
        db = mm_nt(g.t(), a.t())  # (N, M) @ (M, K)
        dbias = g.sum(0) if ctx.has_bias else None
        return da, db, dbias


class TrainTwin(DreamTwin):
    def linear(self, x, name, bias=None):
        x2 = x.reshape(-1, x.shape[-1])
        y = LinearNT.apply(x2, self.w[name], self.w[bias] if bias else None)
        return y.reshape(*x.shape[:-1], y.shape[-1])

    def matmul_nt(self, a, b):
        rows = [torch.stack([LinearNT.apply(a[i, h], b[i, h], None) for h in range(a.shape[1])])
                for i in range(a.shape[0])]
        return torch.stack(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    twin = TrainTwin.from_folder(args.model, dtype=torch.float32)
    params = [t.requires_grad_(True) for t in twin.w.values()]
    if twin.w["lm_head.weight"] is twin.w["model.embed_tokens.weight"]:
        params = params[:-1]
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, foreach=False)
    V, mask = twin.cfg["vocab_size"], twin.cfg["mask_token_id"]
    B, N = args.batch, args.seq
    times = []
    for it in range(args.warmup + args.iters):
        clean = torch.randint(0, V - 8, (B, N))
        t0 = time.perf_counter()
        t = 1e-3 + (1 - 1e-3) * torch.rand(B)
        m = torch.rand(B, N) < t[:, None]
        m[:, 0] = False
        noisy = torch.where(m, torch.full_like(clean, mask), clean)
        b_idx, p_idx = m.nonzero(as_tuple=True)
        h = twin.hidden(noisy)
        logits = twin.head(h[b_idx, p_idx - 1])
        ce = torch.nn.functional.cross_entropy(logits, clean[b_idx, p_idx], reduction="none")
        loss = (ce / t[b_idx]).sum() / max(1, len(b_idx))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        assert torch.isfinite(loss)
        if it >= args.warmup:
            times.append(dt)
    times.sort()
    ms = 1000 * times[len(times) // 2]
    print(f"twin batch={B} seq={N} ms_per_step={ms:.1f} tokens_per_s={B * N / (ms / 1000):.1f}", flush=True)


if __name__ == "__main__":
    main()
