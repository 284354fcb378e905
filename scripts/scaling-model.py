#!/usr/bin/env python3
"""The step-time model of docs/SCALING.md: data-parallel training of a 7B diffusion model on N CPU nodes.

Inputs are measured figures (per-core training GFLOP/s from `diffucoder train` on this machine, see
docs/SCALING.md) and stated assumptions (cores per node, network bandwidth, global batch). Prints a
markdown table: compute time per step, ring-allreduce time of the fp32 gradient, step time with and
without overlap, scaling efficiency, and the global batch below which communication dominates.

    python3 scripts/scaling-model.py --gflops-per-core 59 --cores-per-node 64 --bandwidth-gbit 100
"""
import argparse

# Dream-7B / DiffuCoder-7B (the Qwen2.5-7B shape): 28 layers, hidden 3584, FFN 18944, 28/4 heads x 128,
# vocabulary 152064, untied head.
LAYERS, HIDDEN, FFN, HEADS, KV_HEADS, HEAD_DIM, VOCAB = 28, 3584, 18944, 28, 4, 128, 152064


def model_figures(seq_len):
    attn = HIDDEN * HEADS * HEAD_DIM * 2 + HIDDEN * KV_HEADS * HEAD_DIM * 2  # q, o; k, v
    attn_bias = HEADS * HEAD_DIM + 2 * KV_HEADS * HEAD_DIM
    mlp = 3 * HIDDEN * FFN
    per_layer = attn + attn_bias + mlp + 2 * HIDDEN
    embed = VOCAB * HIDDEN
    params = LAYERS * per_layer + 2 * embed + HIDDEN  # embedding, head, final norm
    matmul_params = LAYERS * (attn + mlp) + embed  # the embedding is a gather; the head is a product
    # Training FLOPs per token: 6 per matrix weight (forward 2, backward 4), plus full (bidirectional)
    # attention: QK^T and AV, 4 * seq * heads * head_dim per layer forward, times 3 for training.
    flops = 6 * matmul_params + 3 * 4 * LAYERS * seq_len * HEADS * HEAD_DIM
    return params, flops


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gflops-per-core", type=float, required=True,
                    help="measured training GFLOP/s per core (docs/SCALING.md)")
    ap.add_argument("--cores-per-node", type=int, default=64)
    ap.add_argument("--bandwidth-gbit", type=float, default=100.0, help="network bandwidth per node, Gbit/s")
    ap.add_argument("--latency-us", type=float, default=5.0, help="per-message latency, microseconds")
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--global-batch", type=int, default=1024, help="sequences per optimizer step")
    ap.add_argument("--grad-bytes", type=int, default=4, help="bytes per gradient element (4: fp32)")
    ap.add_argument("--nodes", default="1,8,64,512")
    a = ap.parse_args()

    params, flops = model_figures(a.seq_len)
    node_flops = a.gflops_per_core * 1e9 * a.cores_per_node
    tokens = a.global_batch * a.seq_len
    grad_bytes = params * a.grad_bytes
    bw = a.bandwidth_gbit * 1e9 / 8
    print(f"7B shape: {params / 1e9:.2f} B parameters, {flops / 1e9:.1f} GFLOP per training token at "
          f"{a.seq_len} tokens; gradient {grad_bytes / 1e9:.1f} GB; node {node_flops / 1e12:.2f} TFLOP/s "
          f"({a.cores_per_node} cores x {a.gflops_per_core:g} GFLOP/s); network {a.bandwidth_gbit:g} Gbit/s; "
          f"global batch {a.global_batch} x {a.seq_len} = {tokens:,} tokens")
    print()
    print("| nodes | compute s/step | allreduce s/step | step s (serial) | step s (overlapped) | tokens/s "
          "(overlapped) | efficiency (serial / overlapped) | batch where allreduce = compute (sequences) |")
    print("|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in a.nodes.split(",")]:
        compute = tokens * flops / (n * node_flops)
        # Ring allreduce: each node sends and receives 2 (N-1)/N of the buffer, in 2 (N-1) messages.
        allreduce = 0.0 if n == 1 else 2 * (n - 1) / n * grad_bytes / bw + 2 * (n - 1) * a.latency_us * 1e-6
        serial = compute + allreduce
        overlapped = max(compute, allreduce)
        single = tokens * flops / node_flops
        eff_serial, eff_overlap = single / (n * serial), single / (n * overlapped)
        # Compute per step scales with the batch, the allreduce does not: below this batch the network waits.
        even = allreduce * n * node_flops / (flops * a.seq_len) if n > 1 else 0
        print(f"| {n} | {compute:,.1f} | {allreduce:,.1f} | {serial:,.1f} | {overlapped:,.1f} | "
              f"{tokens / overlapped:,.0f} | {eff_serial:.0%} / {eff_overlap:.0%} | {even:,.0f} |")


if __name__ == "__main__":
    main()
