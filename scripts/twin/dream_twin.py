#!/usr/bin/python3
"""PyTorch twin of the Dream forward pass (SPEC section 1): the oracle for src/model/dream_model.cpp.

Same math as Hugging Face's DreamModel (a Qwen2 transformer with bidirectional attention):
  RMSNorm computed in fp32, cast back to the activation dtype, times weight;
  q/k/v projections with bias; rotate-half RoPE, inv_freq = theta^(-arange(0, D, 2) / D), cos/sin in fp32;
  non-causal scaled dot-product attention (scale 1/sqrt(D)), KV heads repeated H/Hkv times (GQA),
  softmax in fp32; mask = key_valid AND query_valid; query rows of left padding see nothing and give 0
  (torch's SDPA would give NaN there; SPEC section 1 asks for finite rows);
  h += o_proj(attn); h += down(silu(gate(x2)) * up(x2)); final RMSNorm; lm_head (or the embedding if tied).
Positions: cumsum(valid) - 1 for real tokens, 1 for pad slots (as the reference); 0..N-1 without padding.
Logits are RAW rows: row i is the output at hidden state i, which predicts canvas position i+1 (shifted).

Only numpy and torch are used; checkpoints are read by safetensors_io.py.

Matrix products: bf16 tensors go to oneDNN by themselves. Debian's torch has no optimised BLAS for fp32
(its generic GEMM runs at about 1 GFLOP/s), so with onednn_f32=True (the benchmark) fp32 products are sent
to oneDNN explicitly (torch._C._nn.mkldnn_linear, weights reordered once); the math is the same.
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


class DreamTwin:
    def __init__(self, config, tensors, dtype=torch.float32, onednn_f32=False):
        """config: dict from config.json; tensors: {name: np.ndarray}; dtype: weight/activation dtype."""
        self.cfg = config
        self.dtype = dtype
        self.C = config["hidden_size"]
        self.L = config["num_hidden_layers"]
        self.H = config["num_attention_heads"]
        self.Hkv = config["num_key_value_heads"]
        self.D = config.get("head_dim") or self.C // self.H
        self.eps = config["rms_norm_eps"]
        self.theta = config["rope_theta"]
        self.tied = bool(config.get("tie_word_embeddings", False))
        self.w = {k: torch.from_numpy(np.array(v, dtype=np.float32)).to(dtype) for k, v in tensors.items()}
        # The precision of the norms, the attention softmax and the logits: float32 as in HF (also for a
        # bf16 model), float64 for a float64 reference.
        self.wide = torch.float64 if dtype == torch.float64 else torch.float32
        if self.tied or "lm_head.weight" not in self.w:
            self.w["lm_head.weight"] = self.w["model.embed_tokens.weight"]
        self.onednn = onednn_f32 and dtype == torch.float32
        self.wm = {}  # oneDNN copies of matrices and biases (onednn mode)
        if self.onednn:
            for k, v in self.w.items():
                if k != "model.embed_tokens.weight" and (v.dim() == 2 or k.endswith(".bias")):
                    self.wm[k] = v.to_mkldnn()

    def linear(self, x, name, bias=None):
        """x (..., K) times weight `name` [N, K]^T (+ bias `bias`)."""
        if not self.onednn:
            return torch.nn.functional.linear(x, self.w[name], self.w[bias] if bias else None)
        x2 = x.reshape(-1, x.shape[-1]).contiguous().to_mkldnn()
        y = torch._C._nn.mkldnn_linear(x2, self.wm[name], self.wm[bias] if bias else None).to_dense()
        return y.reshape(*x.shape[:-1], y.shape[-1])

    def matmul_nt(self, a, b):
        """a (B, H, N, D) times b (B, H, M, D)^T -> (B, H, N, M)."""
        if not self.onednn:
            return torch.matmul(a, b.transpose(2, 3))
        out = torch.empty(a.shape[0], a.shape[1], a.shape[2], b.shape[2])
        for i in range(a.shape[0]):
            for h in range(a.shape[1]):
                out[i, h] = torch._C._nn.mkldnn_linear(
                    a[i, h].contiguous().to_mkldnn(), b[i, h].contiguous().to_mkldnn(), None
                ).to_dense()
        return out
    @staticmethod
    def from_folder(folder, dtype=torch.float32, tied=None, onednn_f32=False):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        if tied is not None:
            cfg = dict(cfg, tie_word_embeddings=tied)
        return DreamTwin(cfg, safetensors_io.load_folder(folder), dtype, onednn_f32)

    def rmsnorm(self, x, weight):
        xf = x.to(self.wide)
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * xf.to(x.dtype)

    def rope(self, x, pos):
        """x (B, heads, N, D), pos (B, N) -> rotate-half RoPE."""
        D = self.D
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
        freqs = pos[:, :, None].float() * inv_freq[None, None, :]  # (B, N, D/2)
        emb = torch.cat([freqs, freqs], dim=-1)
        cos = emb.cos().to(x.dtype)[:, None]
        sin = emb.sin().to(x.dtype)[:, None]
        rot = torch.cat([-x[..., D // 2 :], x[..., : D // 2]], dim=-1)
        return x * cos + rot * sin

    def hidden(self, tokens, valid=None):
        """tokens (B, N) int64, valid (B, N) bool or None -> final hidden states before the last norm."""
        B, N = tokens.shape
        H, Hkv, D = self.H, self.Hkv, self.D
        if valid is None:
            valid = torch.ones(B, N, dtype=torch.bool)
        pos = valid.long().cumsum(-1) - 1
        pos = pos.masked_fill(~valid, 1)
        mask = valid[:, None, :, None] & valid[:, None, None, :]  # (B, 1, Nq, Nk)
        any_key = mask.any(-1, keepdim=True)
        h = self.w["model.embed_tokens.weight"][tokens]
        for i in range(self.L):
            p = f"model.layers.{i}."
            w = lambda n: self.w[p + n]  # noqa: E731
            x = self.rmsnorm(h, w("input_layernorm.weight"))
            a = p + "self_attn."
            q = self.linear(x, a + "q_proj.weight", a + "q_proj.bias")
            k = self.linear(x, a + "k_proj.weight", a + "k_proj.bias")
            v = self.linear(x, a + "v_proj.weight", a + "v_proj.bias")
            q = self.rope(q.view(B, N, H, D).transpose(1, 2), pos)
            k = self.rope(k.view(B, N, Hkv, D).transpose(1, 2), pos)
            v = v.view(B, N, Hkv, D).transpose(1, 2)
            k = k.repeat_interleave(H // Hkv, dim=1)
            v = v.repeat_interleave(H // Hkv, dim=1)
            s = self.matmul_nt(q, k) / math.sqrt(D)
            s = s.masked_fill(~mask, float("-inf"))
            prob = torch.softmax(s.to(self.wide), dim=-1)
            prob = torch.where(any_key, prob, torch.zeros_like(prob)).to(q.dtype)
            o = self.matmul_nt(prob, v.transpose(2, 3)).transpose(1, 2).reshape(B, N, H * D)
            h = h + self.linear(o, a + "o_proj.weight")
            x2 = self.rmsnorm(h, w("post_attention_layernorm.weight"))
            g = self.linear(x2, p + "mlp.gate_proj.weight")
            u = self.linear(x2, p + "mlp.up_proj.weight")
            h = h + self.linear(torch.nn.functional.silu(g) * u, p + "mlp.down_proj.weight")
        return h

    def head(self, h_rows):
        """h_rows (R, C) -> logits (R, V) fp32 (final norm + lm_head)."""
        x = self.rmsnorm(h_rows, self.w["model.norm.weight"])
        return self.linear(x, "lm_head.weight").to(self.wide)

    @torch.no_grad()
    def raw_logits(self, tokens, valid=None):
        """All raw rows: (B, N, V) fp32; row i predicts position i+1."""
        h = self.hidden(tokens, valid)
        B, N, C = h.shape
        return self.head(h.reshape(B * N, C)).reshape(B, N, -1)

    @torch.no_grad()
    def predict(self, tokens, valid, wanted):
        """wanted: list of (b, position) -> logits (len, V) from raw rows (b, position-1)."""
        h = self.hidden(tokens, valid)
        rows = torch.stack([h[b, p - 1] for b, p in wanted])
        return self.head(rows)


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else "tests/testdata/tiny-dream"
    twin = DreamTwin.from_folder(folder)
    toks = torch.tensor([[1, 2, 3, twin.cfg["mask_token_id"]]])
    print(twin.raw_logits(toks)[0, :, :8])
