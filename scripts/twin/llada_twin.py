#!/usr/bin/python3
"""PyTorch twin of the LLaDA forward pass and of LLaDA's reference sampler (docs/LLADA.md): the oracle for
the C++ LLaDA model.

Written from the semantics of LLaDA's Hugging Face model (LLaDAModelLM, block_type "llama"), not from its
code. Only numpy and torch are used; checkpoints are read by safetensors_io.py; no transformers library.

Forward pass (docs/LLADA.md section 2), for tokens (B, N) and an optional key mask valid (B, N):
  x = wte[tokens]                                                   (embedding_size x d_model)
  per block l:
    h = RMSNorm(x, attn_norm)          RMSNorm: fp32 x * rsqrt(mean(x^2) + rms_norm_eps), cast back, * weight
    q = h Wq^T, k = h Wk^T, v = h Wv^T  (no biases; q: d_model, k/v: n_kv_heads * head_dim)
    q, k rotated with rotate-half RoPE over the full head dim, in fp32, at positions 0..N-1
      (absolute canvas positions; left padding does NOT shift them, unlike Dream)
    attention: softmax(q k^T / sqrt(head_dim) + bias) v, bidirectional; kv heads repeated
      n_heads / n_kv_heads times (repeat_interleave); bias = finfo(fp32).min on keys whose valid is 0
      (every query row, pad rows included, sees all valid keys, so pad rows are finite)
    x = x + attn_out(o)
    h = RMSNorm(x, ff_norm)
    x = x + ff_out(silu(ff_proj(h)) * up_proj(h))                  (ff_proj is the gate)
  logits = RMSNorm(x, ln_f) W^T with W = transformer.ff_out (or wte when weight_tying)
Logits are NOT shifted: row i scores canvas position i.

Sampler (docs/LLADA.md section 4): generate() follows LLaDA's generate.py for greedy decoding
(temperature 0) with 'low_confidence' remasking, semi-autoregressive blocks and optional classifier-free
guidance, on a left-padded batch with an attention mask.

Usage: scripts/twin/llada_twin.py [MODEL_DIR]   (prints a few logits)
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

DEFAULT_MASK_ID = 126336  # LLaDA's <|mdm_mask|>, used when config.json has no mask_token_id

# Defaults of LLaDA's ModelConfig for the keys the forward pass reads (a config.json may omit any of them).
CONFIG_DEFAULTS = {
    "d_model": 768,
    "n_heads": 12,
    "n_kv_heads": None,
    "multi_query_attention": None,
    "n_layers": 12,
    "mlp_ratio": 4,
    "mlp_hidden_size": None,
    "activation_type": "swiglu",
    "block_type": "sequential",
    "block_group_size": 1,
    "alibi": False,
    "rope": False,
    "rope_full_precision": True,
    "rope_theta": 10000.0,
    "attention_layer_norm": False,
    "layer_norm_type": "default",
    "layer_norm_with_affine": True,
    "rms_norm_eps": 1e-5,
    "include_bias": False,
    "include_qkv_bias": False,
    "bias_for_layer_norm": None,
    "input_emb_norm": False,
    "scale_logits": False,
    "vocab_size": 50257,
    "embedding_size": 50304,
    "weight_tying": True,
}

# What the twin (and LLaDA-8B-Base / -Instruct / LLaDA-1.5) needs; anything else is rejected.
REQUIRED = {
    "block_type": "llama",
    "activation_type": "silu",
    "layer_norm_type": "rms",
    "layer_norm_with_affine": True,
    "rope": True,
    "alibi": False,
    "attention_layer_norm": False,
    "include_bias": False,
    "include_qkv_bias": False,
    "input_emb_norm": False,
    "scale_logits": False,
    "block_group_size": 1,
}


def resolve_config(cfg):
    """config.json dict -> dict of every key above with LLaDA's defaults filled in, plus derived sizes."""
    r = {k: cfg.get(k, v) for k, v in CONFIG_DEFAULTS.items()}
    for k, want in REQUIRED.items():
        if r[k] != want:
            raise ValueError(f"config.json: {k} = {r[k]!r}, the LLaDA llama block needs {want!r}")
    if r["bias_for_layer_norm"] not in (None, False):
        raise ValueError("config.json: bias_for_layer_norm must be false or null")
    if r["n_kv_heads"] is None:
        r["kv_heads"] = 1 if r["multi_query_attention"] else r["n_heads"]
    else:
        r["kv_heads"] = r["n_kv_heads"]
    if r["d_model"] % r["n_heads"] or r["n_heads"] % r["kv_heads"]:
        raise ValueError("config.json: d_model % n_heads and n_heads % n_kv_heads must be 0")
    r["head_dim"] = r["d_model"] // r["n_heads"]
    r["hidden"] = r["mlp_hidden_size"] if r["mlp_hidden_size"] is not None else r["mlp_ratio"] * r["d_model"]
    r["rows"] = r["embedding_size"] or r["vocab_size"]  # rows of wte and of the output head
    if r["rows"] < r["vocab_size"]:
        raise ValueError("config.json: embedding_size < vocab_size")
    r["mask_token_id"] = cfg.get("mask_token_id", DEFAULT_MASK_ID)
    return r


def tensor_shapes(cfg):
    """{name: shape} of every tensor of a LLaDA checkpoint (Hugging Face layout) for config.json dict cfg."""
    r = resolve_config(cfg)
    C, F, V, KV = r["d_model"], r["hidden"], r["rows"], r["kv_heads"] * r["head_dim"]
    t = {"model.transformer.wte.weight": (V, C), "model.transformer.ln_f.weight": (C,)}
    for i in range(r["n_layers"]):
        p = f"model.transformer.blocks.{i}."
        t[p + "attn_norm.weight"] = (C,)
        t[p + "q_proj.weight"] = (C, C)
        t[p + "k_proj.weight"] = (KV, C)
        t[p + "v_proj.weight"] = (KV, C)
        t[p + "attn_out.weight"] = (C, C)
        t[p + "ff_norm.weight"] = (C,)
        t[p + "ff_proj.weight"] = (F, C)
        t[p + "up_proj.weight"] = (F, C)
        t[p + "ff_out.weight"] = (C, F)
    if not r["weight_tying"]:
        t["model.transformer.ff_out.weight"] = (V, C)
    return t


class LLaDATwin:
    def __init__(self, config, tensors, dtype=torch.float32):
        """config: dict from config.json; tensors: {name: np.ndarray}; dtype: weight/activation dtype."""
        self.cfg = config
        self.r = resolve_config(config)
        self.dtype = dtype
        want = tensor_shapes(config)
        if set(tensors) != set(want):
            missing = sorted(set(want) - set(tensors))
            extra = sorted(set(tensors) - set(want))
            raise ValueError(f"tensors do not match the config: missing {missing[:3]}, unexpected {extra[:3]}")
        for name, shape in want.items():
            if tuple(tensors[name].shape) != shape:
                raise ValueError(f"{name}: shape {tuple(tensors[name].shape)}, expected {shape}")
        self.w = {k: torch.from_numpy(np.array(v, dtype=np.float32)).to(dtype) for k, v in tensors.items()}
        head = "model.transformer.wte.weight" if self.r["weight_tying"] else "model.transformer.ff_out.weight"
        self.head_weight = self.w[head]

    @staticmethod
    def from_folder(folder, dtype=torch.float32):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        return LLaDATwin(cfg, safetensors_io.load_folder(folder), dtype)

    @property
    def mask_id(self):
        return self.r["mask_token_id"]

    def rmsnorm(self, x, weight):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.r["rms_norm_eps"])
        return weight * xf.to(x.dtype)

    def rope(self, x, n):
        """x (B, heads, n, D) -> rotate-half RoPE at positions 0..n-1, computed in fp32, cast back."""
        D = self.r["head_dim"]
        inv_freq = 1.0 / (self.r["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float32) / D))
        freqs = torch.arange(n, dtype=torch.float32)[:, None] * inv_freq[None, :]  # (n, D/2)
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos(), emb.sin()
        xf = x.float() if self.r["rope_full_precision"] else x
        if not self.r["rope_full_precision"]:
            cos, sin = cos.to(x.dtype), sin.to(x.dtype)
        rot = torch.cat([-xf[..., D // 2:], xf[..., : D // 2]], dim=-1)
        return (xf * cos + rot * sin).to(x.dtype)

    def hidden(self, tokens, valid=None):
        """tokens (B, N) int64, valid (B, N) bool or None -> hidden states before ln_f, (B, N, d_model)."""
        B, N = tokens.shape
        H, Hkv, D, C = self.r["n_heads"], self.r["kv_heads"], self.r["head_dim"], self.r["d_model"]
        bias = None
        if valid is not None and not bool(valid.all()):
            bias = (1.0 - valid.float())[:, None, None, :] * torch.finfo(torch.float32).min  # (B, 1, 1, N)
        x = self.w["model.transformer.wte.weight"][tokens]
        lin = torch.nn.functional.linear
        for i in range(self.r["n_layers"]):
            p = f"model.transformer.blocks.{i}."
            w = lambda n: self.w[p + n + ".weight"]  # noqa: E731
            h = self.rmsnorm(x, w("attn_norm"))
            q = lin(h, w("q_proj")).view(B, N, H, D).transpose(1, 2)
            k = lin(h, w("k_proj")).view(B, N, Hkv, D).transpose(1, 2)
            v = lin(h, w("v_proj")).view(B, N, Hkv, D).transpose(1, 2)
            q, k = self.rope(q, N), self.rope(k, N)
            k = k.repeat_interleave(H // Hkv, dim=1)
            v = v.repeat_interleave(H // Hkv, dim=1)
            s = torch.matmul(q, k.transpose(2, 3)).float() / math.sqrt(D)
            if bias is not None:
                s = s + bias
            prob = torch.softmax(s, dim=-1).to(q.dtype)
            o = torch.matmul(prob, v).transpose(1, 2).reshape(B, N, C)
            x = x + lin(o, w("attn_out"))
            h = self.rmsnorm(x, w("ff_norm"))
            x = x + lin(torch.nn.functional.silu(lin(h, w("ff_proj"))) * lin(h, w("up_proj")), w("ff_out"))
        return x

    def head(self, h_rows):
        """h_rows (..., d_model) -> logits (..., embedding_size) fp32 (ln_f, then the output head)."""
        x = self.rmsnorm(h_rows, self.w["model.transformer.ln_f.weight"])
        return torch.nn.functional.linear(x, self.head_weight).float()

    @torch.no_grad()
    def logits(self, tokens, valid=None):
        """(B, N, embedding_size) fp32; row i scores canvas position i (no shift)."""
        return self.head(self.hidden(tokens, valid))


# ---------------------------------------------------------------------------------------------------------
# LLaDA's generate.py, greedy.
def num_transfer_tokens(block_masks, steps):
    """block_masks (B,) int -> (B, steps) int: masks // steps each, the remainder to the first steps."""
    out = []
    for n in block_masks:
        base, rem = divmod(int(n), steps)
        out.append([base + (1 if s < rem else 0) for s in range(steps)])
    return out


def boundary_gap(conf_row, k):
    """Relative gap between the k-th and (k+1)-th largest finite confidences of one row (inf if none)."""
    finite = conf_row[torch.isfinite(conf_row)]
    if k <= 0 or k >= finite.numel():
        return float("inf")
    v = torch.sort(finite, descending=True).values
    a, b = float(v[k - 1]), float(v[k])
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


@torch.no_grad()
def generate(logits_fn, prompts, mask_id, pad_id, gen_length, steps, block_length, cfg_scale=0.0):
    """Greedy LLaDA generation with low_confidence remasking.

    logits_fn(x, valid_or_None) -> (B, N, V) unshifted logits. prompts: list of token lists, left-padded
    with pad_id to the longest; the attention mask is 1 on real prompt tokens and on all generated slots.
    Returns {"history": canvas after each step, "order": per row [step, slot, token], "gaps": {...}}.
    """
    B = len(prompts)
    P = max(len(p) for p in prompts)
    N = P + gen_length
    x = torch.full((B, N), mask_id, dtype=torch.int64)
    valid = torch.ones(B, N, dtype=torch.bool)
    for b, p in enumerate(prompts):
        x[b, : P - len(p)] = pad_id
        valid[b, : P - len(p)] = False
        x[b, P - len(p): P] = torch.tensor(p, dtype=torch.int64)
    attn = None if bool(valid.all()) else valid
    prompt_index = x != mask_id  # pads count as prompt (they are not masks)
    assert gen_length % block_length == 0
    num_blocks = gen_length // block_length
    assert steps % num_blocks == 0
    spb = steps // num_blocks
    history, order = [], [[] for _ in range(B)]
    gaps = {"boundary": float("inf"), "token": float("inf")}
    g = 0
    for blk in range(num_blocks):
        lo, hi = P + blk * block_length, P + (blk + 1) * block_length
        sched = num_transfer_tokens((x[:, lo:hi] == mask_id).sum(dim=1).tolist(), spb)
        for i in range(spb):
            mask_index = x == mask_id
            if cfg_scale > 0:
                un_x = x.clone()
                un_x[prompt_index] = mask_id
                both = logits_fn(torch.cat([x, un_x]), None if attn is None else torch.cat([attn, attn]))
                cond, uncond = both[:B], both[B:]
                logits = uncond + (cfg_scale + 1) * (cond - uncond)
            else:
                logits = logits_fn(x, attn)
            x0 = torch.argmax(logits, dim=-1)
            p = torch.softmax(logits.double(), dim=-1)
            x0_p = torch.gather(p, -1, x0[..., None]).squeeze(-1)
            x0_p[:, hi:] = -math.inf
            conf = torch.where(mask_index, x0_p, torch.full_like(x0_p, -math.inf))
            top2 = torch.topk(p, 2, dim=-1).values
            tgap = (top2[..., 0] - top2[..., 1]) / top2[..., 0]
            for b in range(B):
                k = sched[b][i]
                if k == 0:
                    continue
                gaps["boundary"] = min(gaps["boundary"], boundary_gap(conf[b], k))
                sel = sorted(int(j) for j in torch.topk(conf[b], k).indices)
                for j in sel:
                    assert bool(mask_index[b, j]), "a step committed a position that is not masked"
                    gaps["token"] = min(gaps["token"], float(tgap[b, j]))
                    x[b, j] = x0[b, j]
                    order[b].append([g, j - P, int(x0[b, j])])
            history.append(x.tolist())
            g += 1
    return {"history": history, "order": order, "gaps": gaps}


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else "tests/testdata/tiny-llada"
    twin = LLaDATwin.from_folder(folder)
    toks = torch.tensor([[1, 2, 3, twin.mask_id]])
    print(twin.logits(toks)[0, :, :8])
