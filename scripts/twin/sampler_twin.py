#!/usr/bin/python3
"""PyTorch twin of Dream's diffusion sampler (SPEC section 3): the oracle for src/decode/.

It follows the reference `_sample` loop of Dream's generation_utils.py step by step (canvas = prompt +
masks, shifted logits, temperature / top-p / top-k, confidence per algorithm, k = int(n * (1 - s / t)) with
n the batch-mean mask count in float32, torch.topk over the confidences with -inf outside the masks), plus
LLaDA's semi-autoregressive block schedule (get_num_transfer_tokens: per row, masks // steps with the
remainder to the first steps; confidence -inf after the block).

It writes greedy (temperature 0) trajectories, the canvas after every step and the commit order, as JSON:
  tests/testdata/twin/trajectories_fake.json        a scripted fake denoiser (fake_logits below; the C++
                                                    test implements the same integer formula), an oracle
                                                    of the sampler alone;
  tests/testdata/twin/trajectories_tiny_dream.json  the tiny random Dream model through dream_twin.py;
  tests/testdata/twin/trajectories_tiny_dream_bf16_f64.json  the same model with every weight rounded to
                                                    bf16 (its BF16 checkpoint), run in float64: the oracle
                                                    of `--precision exact` on BF16 weights.
and the float32 transfer schedules torch computes (tests/testdata/decode/schedule_torch.json).

Every step is checked for ambiguity: a tie (or, for the real model, a near tie) between the k-th and the
(k+1)-th confidence of a row, or between the two best tokens of a committed position, would let two
correct implementations disagree; such configurations are rejected instead of being written.

Usage: scripts/twin/sampler_twin.py   (from the repository root; /usr/bin/python3 with torch)
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------------------------------------
# The scripted fake denoiser. For row b with valid (unpadded) tokens c_0..c_{n-1} and `pad` left-padding
# slots, the logits predicting canvas position p (q = p - pad) are, for v in [0, V):
#   h   = sum_j (c_j + 1) * (j + 3)  mod 1000003
#   off = (7 h + 13 q) mod 53,  sc = 1 + (5 h + 11 q) mod 61
#   logit[v] = ((17 v + off) mod 53) * sc / 64           (exact in float32), and logit[mask] = -1
# Distinct logits within a position; the canvas (through h) changes them every step. The mask token never
# wins: a committed mask would leave rows with unequal mask counts, where the reference's topk re-masks
# arbitrary decoded positions of the shorter rows (ties at -inf), which no implementation can reproduce.
FAKE_V = 48
FAKE_MASK = 47
FAKE_PAD = 46


def fake_logits_for(row_tokens, pad, p):
    h = 0
    for j, c in enumerate(row_tokens):
        h = (h + (c + 1) * (j + 3)) % 1000003
    q = p - pad
    off = (7 * h + 13 * q) % 53
    sc = 1 + (5 * h + 11 * q) % 61
    return torch.tensor([float(((17 * v + off) % 53) * sc) / 64.0 if v != FAKE_MASK else -1.0 for v in range(FAKE_V)],
                        dtype=torch.float32)


def fake_raw_logits(x, valid):
    """x (B, N), valid (B, N) bool -> raw rows (B, N, V): raw row i predicts position i + 1."""
    B, N = x.shape
    out = torch.zeros(B, N, FAKE_V, dtype=torch.float32)
    for b in range(B):
        pad = int((~valid[b]).sum())
        toks = [int(t) for t in x[b, pad:]]
        for i in range(N):
            out[b, i] = fake_logits_for(toks, pad, i + 1)
    return out


# ---------------------------------------------------------------------------------------------------------
# Dream's sample_tokens, written from its documented semantics.
def top_p_filter(logits, top_p):
    sorted_logits, sorted_idx = torch.sort(logits, descending=True)
    cum = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
    remove = cum > top_p
    remove[..., 1:] = remove[..., :-1].clone()
    remove[..., 0] = False
    mask = torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, sorted_idx, remove)
    return logits.masked_fill(mask, torch.finfo(logits.dtype).min)


def top_k_filter(logits, top_k):
    top_k = min(top_k, logits.size(-1))
    kth = torch.topk(logits, top_k)[0][..., -1, None]
    return logits.masked_fill(logits < kth, torch.finfo(logits.dtype).min)


def sample_tokens(logits, alg, temperature, top_p, top_k):
    raw = logits
    if temperature > 0:
        logits = logits / temperature
    if top_p is not None and top_p < 1:
        logits = top_p_filter(logits, top_p)
    if top_k is not None and top_k > 0:
        logits = top_k_filter(logits, top_k)
    probs = torch.softmax(logits, dim=-1)
    assert temperature == 0, "the twin writes greedy trajectories only"
    confidence, x0 = probs.max(dim=-1)
    top2 = torch.topk(probs, 2, dim=-1).values
    if alg == "topk_margin":
        confidence = top2[:, 0] - top2[:, 1]
    elif alg == "entropy":
        confidence = torch.sum(probs * torch.log(probs + 1e-10), dim=-1)
    elif alg == "low_confidence":
        p64 = torch.softmax(raw.double(), dim=-1)
        confidence = torch.gather(p64, -1, x0[:, None]).squeeze(-1).float()
    elif alg != "maskgit_plus":
        raise ValueError(alg)
    token_gap = (top2[:, 0] - top2[:, 1]) / top2[:, 0]
    return confidence, x0, token_gap


def boundary_gap(conf_row, k):
    """Relative gap between the k-th and (k+1)-th largest finite confidences of one row (inf if none)."""
    finite = conf_row[torch.isfinite(conf_row)]
    if k <= 0 or k >= finite.numel():
        return float("inf")
    v = torch.sort(finite, descending=True).values
    a, b = float(v[k - 1]), float(v[k])
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def generate(raw_model, prompts, mask_id, pad_id, L, steps, alg, top_p=None, top_k=None, eps=1e-3,
             block_length=0):
    """Greedy trajectory. Returns dict with history (canvas after each step), order, min gaps."""
    B = len(prompts)
    P = max(len(p) for p in prompts)
    N = P + L
    x = torch.full((B, N), pad_id, dtype=torch.int64)
    valid = torch.zeros(B, N, dtype=torch.bool)
    for b, p in enumerate(prompts):
        x[b, P - len(p):P] = torch.tensor(p)
        valid[b, P - len(p):] = True
    x[:, P:] = mask_id
    history, order = [], [[] for _ in range(B)]
    gaps = {"boundary": float("inf"), "token": float("inf")}

    def commit(step, rows_pos, x0_full):
        for b in range(B):
            for pos in sorted(rows_pos[b]):
                x[b, pos] = x0_full[b, pos]
                order[b].append([step, pos - P, int(x0_full[b, pos])])
        history.append(x[:, P - max(len(p) for p in prompts):].tolist())

    def step_logits():
        raw = raw_model(x.clone(), valid.clone())
        return torch.cat([raw[:, :1], raw[:, :-1]], dim=1)  # shifted: row p predicts position p

    if block_length == 0:
        ts = torch.linspace(1, eps, steps + 1)
        for i in range(steps):
            mask_index = (x == mask_id) & valid
            logits = step_logits()
            confidence, x0, tgap = sample_tokens(logits[mask_index], alg, 0, top_p, top_k)
            t, s = ts[i], ts[i + 1]
            num_mask_token = mask_index.sum() / mask_index.shape[0]
            k = int(num_mask_token * (1 - s / t)) if i < steps - 1 else int(num_mask_token)
            full = torch.full((B, N), -torch.inf, dtype=confidence.dtype)
            full[mask_index] = confidence
            x0_full = torch.full((B, N), mask_id, dtype=torch.int64)
            x0_full[mask_index] = x0
            gap_full = torch.full((B, N), float("inf"), dtype=tgap.dtype)
            gap_full[mask_index] = tgap
            rows_pos = [[] for _ in range(B)]
            if k > 0:
                idx = torch.topk(full, k).indices
                for b in range(B):
                    gaps["boundary"] = min(gaps["boundary"], boundary_gap(full[b], k))
                    rows_pos[b] = [int(p) for p in idx[b]]
                    for p in rows_pos[b]:
                        gaps["token"] = min(gaps["token"], float(gap_full[b, p]))
            commit(i, rows_pos, x0_full)
    else:
        assert L % block_length == 0
        nb = L // block_length
        assert steps % nb == 0
        spb = steps // nb
        g = 0
        for blk in range(nb):
            end = P + (blk + 1) * block_length
            block_mask = (x[:, P + blk * block_length:end] == mask_id)
            n = block_mask.sum(dim=1, keepdim=True)
            sched = torch.zeros(B, spb, dtype=torch.int64) + n // spb
            rem = n % spb
            for b in range(B):
                sched[b, :int(rem[b])] += 1
            for j in range(spb):
                mask_index = (x == mask_id) & valid
                logits = step_logits()
                confidence, x0, tgap = sample_tokens(logits[mask_index], alg, 0, top_p, top_k)
                full = torch.full((B, N), -torch.inf, dtype=confidence.dtype)
                full[mask_index] = confidence
                full[:, end:] = -torch.inf
                x0_full = torch.full((B, N), mask_id, dtype=torch.int64)
                x0_full[mask_index] = x0
                gap_full = torch.full((B, N), float("inf"), dtype=tgap.dtype)
                gap_full[mask_index] = tgap
                rows_pos = [[] for _ in range(B)]
                for b in range(B):
                    kb = int(sched[b, j])
                    if kb > 0:
                        gaps["boundary"] = min(gaps["boundary"], boundary_gap(full[b], kb))
                        rows_pos[b] = [int(p) for p in torch.topk(full[b], kb).indices]
                        for p in rows_pos[b]:
                            gaps["token"] = min(gaps["token"], float(gap_full[b, p]))
                commit(g, rows_pos, x0_full)
                g += 1
    return {"history": history, "order": order, "gaps": gaps}


def fixture_cases(L_values):
    cases = []
    for L in L_values:
        for steps in (L, L // 2, L // 4, 1):
            for alg in ("maskgit_plus", "topk_margin", "entropy", "low_confidence"):
                cases.append(dict(max_new_tokens=L, steps=steps, alg=alg))
        cases.append(dict(max_new_tokens=L, steps=L // 2, alg="entropy", top_p=0.9))
        cases.append(dict(max_new_tokens=L, steps=L // 2, alg="maskgit_plus", top_k=5))
        cases.append(dict(max_new_tokens=L, steps=L // 2, alg="entropy", block_length=L // 4))
        cases.append(dict(max_new_tokens=L, steps=L, alg="topk_margin", block_length=L // 2))
    return cases


def run_cases(raw_model, prompts, mask_id, pad_id, cases, min_boundary, min_token):
    out = []
    for c in cases:
        r = generate(raw_model, prompts, mask_id, pad_id, c["max_new_tokens"], c["steps"], c["alg"],
                     top_p=c.get("top_p"), top_k=c.get("top_k"), block_length=c.get("block_length", 0))
        masks_committed = sum(t == mask_id for row in r["order"] for _, _, t in row)
        ok = r["gaps"]["boundary"] > min_boundary and r["gaps"]["token"] > min_token and masks_committed == 0
        print(f"  {c}: boundary gap {r['gaps']['boundary']:.3g} token gap {r['gaps']['token']:.3g}"
              f" {'ok' if ok else 'AMBIGUOUS, dropped'}")
        if ok:
            out.append(dict(c, history=r["history"], order=r["order"]))
    return out


def schedules():
    """float32 transfer counts as torch computes them, for a range of (length, steps) pairs."""
    rows = []
    for L in list(range(1, 40)) + [64, 100, 128, 200, 256, 500, 512, 1000, 1024]:
        for steps in sorted({1, 2, 3, 5, 7, L // 4, L // 3, L // 2, L - 1, L, L + 3, 2 * L}):
            if steps < 1:
                continue
            ts = torch.linspace(1, 1e-3, steps + 1)
            left, counts = L, []
            for i in range(steps):
                n = torch.tensor(left) / 1  # float32 mean over a batch of one
                k = int(n * (1 - ts[i + 1] / ts[i])) if i < steps - 1 else int(n)
                counts.append(k)
                left -= k
            rows.append({"length": L, "steps": steps, "counts": counts})
    grids = {str(s): [float(v) for v in torch.linspace(1, 1e-3, s + 1)] for s in (1, 7, 8, 15, 16, 17, 31, 64, 100, 256, 512)}
    return {"schedules": rows, "grids": grids}


def main():
    torch.set_num_threads(1)
    root = os.getcwd()
    twin_dir = os.path.join(root, "tests/testdata/twin")
    os.makedirs(twin_dir, exist_ok=True)
    os.makedirs(os.path.join(root, "tests/testdata/decode"), exist_ok=True)

    print("schedules")
    with open(os.path.join(root, "tests/testdata/decode/schedule_torch.json"), "w") as f:
        json.dump(schedules(), f, separators=(",", ":"))

    print("fake denoiser")
    prompts = [[5, 9, 13], [7], [21, 3, 30, 11, 2]]
    cases = run_cases(fake_raw_logits, prompts, FAKE_MASK, FAKE_PAD, fixture_cases([16, 24]), 0.0, 0.0)
    with open(os.path.join(twin_dir, "trajectories_fake.json"), "w") as f:
        json.dump({"vocab_size": FAKE_V, "mask_token_id": FAKE_MASK, "pad_token_id": FAKE_PAD, "prompts": prompts,
                   "cases": cases}, f, separators=(",", ":"))

    model_dir = os.path.join(root, "tests/testdata/tiny-dream")
    if os.path.exists(os.path.join(model_dir, "config.json")):
        from dream_twin import DreamTwin
        print("tiny dream")
        twin = DreamTwin.from_folder(model_dir)
        mask_id = twin.cfg["mask_token_id"]
        pad_id = twin.cfg["pad_token_id"]

        def raw(x, valid):
            return twin.raw_logits(x, None if bool(valid.all()) else valid)

        prompts = [[17, 230, 5, 998], [1003, 12, 400, 9, 77, 512, 3], [88, 600]]
        cases = run_cases(raw, prompts, mask_id, pad_id, fixture_cases([16]), 1e-4, 1e-4)
        with open(os.path.join(twin_dir, "trajectories_tiny_dream.json"), "w") as f:
            json.dump({"model": "tests/testdata/tiny-dream", "mask_token_id": mask_id, "pad_token_id": pad_id,
                       "prompts": prompts, "cases": cases}, f, separators=(",", ":"))

        print("tiny dream, bf16 weights, float64 arithmetic")
        import safetensors_io
        tensors = safetensors_io.load_folder(model_dir)
        bf16_t = {k: safetensors_io.bf16_bits_to_f32(safetensors_io.f32_to_bf16_bits(v)) for k, v in tensors.items()}
        twin64 = DreamTwin(twin.cfg, bf16_t, dtype=torch.float64)

        def raw64(x, valid):
            return twin64.raw_logits(x, None if bool(valid.all()) else valid)

        cases = run_cases(raw64, prompts, mask_id, pad_id, fixture_cases([16]), 1e-4, 1e-4)
        with open(os.path.join(twin_dir, "trajectories_tiny_dream_bf16_f64.json"), "w") as f:
            json.dump({"model": "tests/testdata/tiny-dream", "weights": "bf16", "arithmetic": "float64",
                       "mask_token_id": mask_id, "pad_token_id": pad_id, "prompts": prompts, "cases": cases}, f,
                      separators=(",", ":"))


if __name__ == "__main__":
    main()
