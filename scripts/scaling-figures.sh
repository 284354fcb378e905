#!/usr/bin/env bash
# The measured figures of docs/SCALING.md: step time and tokens/s of `train` and `sft` on the bundled model
# with one process (all cores) and with `mpirun -np 2` (a core each), the allreduce time of the bundled
# model's and a 0.5B model's gradient, and the step-time model at 7B built on the measured GFLOP/s.
# Uses the project's own commands only (after `make build`); takes about ten minutes on 2 cores.
#
# Usage: scripts/scaling-figures.sh            (environment: WORK, STEPS, NP)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${DIFFUCODER:-build/bin/diffucoder}
M=${MODEL:-models/diffucoder-tiny}
WORK=${WORK:-build-scaling}
STEPS=${STEPS:-8}
NP=${NP:-2}
[[ -x "$B" ]] || { echo "error: $B not found; run 'make build' first" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "error: mpirun not found (scripts/install-deps.sh installs Open MPI)" >&2; exit 1; }
# Root may start MPI jobs only when told so (containers often run as root).
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p "$WORK"
cores=$(nproc)

# Data: Python sources for pre-training, generated tasks for SFT.
[[ -f "$WORK/pre/dataset.json" ]] || "$B" data --tokenizer "$M" --out "$WORK/pre" --seq-len 256 \
  --input /usr/lib/python3*/json /usr/lib/python3*/email >/dev/null
if [[ ! -f "$WORK/sft/dataset.json" ]]; then
  "$B" tasks --split train --count 400 --seed 3 --sft-out "$WORK/tasks.jsonl" >/dev/null
  "$B" data --tokenizer "$M" --out "$WORK/sft" --sft "$WORK/tasks.jsonl" --seq-len 384 >/dev/null
fi

# median_step METRICS TOKENS_PER_STEP: the median step time over steps 2.. (step 1 warms up).
median_step() {
  python3 - "$1" "$2" <<'PY'
import json, statistics, sys
tokens = int(sys.argv[2])
steps = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l][1:]
t = statistics.median(tokens / s["tokens_per_s"] for s in steps)
print(f"{t:.3f} {tokens / t:.0f}")
PY
}

# The bundled model's training FLOPs per token (6 per matrix weight, plus attention), for GFLOP/s.
flops_per_token() {
  python3 - "$M/config.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); n = int(sys.argv[2])
h, f, L, v = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
hd = c.get("head_dim", h // c["num_attention_heads"]); q, kv = c["num_attention_heads"], c["num_key_value_heads"]
matmul = L * (2 * h * q * hd + 2 * h * kv * hd + 3 * h * f) + v * h
print(6 * matmul + 12 * L * n * q * hd)
PY
}

echo "| command | ranks x threads | seq len | tokens/step | median s/step | tokens/s | GFLOP/s | per core |"
echo "|---|---|---|---|---|---|---|---|"
for kind in train sft; do
  if [[ $kind == train ]]; then data=$WORK/pre seq=256; else data=$WORK/sft seq=384; fi
  tokens=$((8 * 2 * seq))
  fpt=$(flops_per_token "$seq")
  args=(--model "$M" --data "$data" --steps "$STEPS" --seed 1 --seq-len "$seq" --batch 8 --accum 2 --lr 1e-3)
  for ranks in 1 "$NP"; do
    out="$WORK/$kind-$ranks"
    rm -rf "$out"
    if [[ $ranks == 1 ]]; then
      "$B" "$kind" "${args[@]}" --out "$out" --threads "$cores" >/dev/null; threads=$cores
    else
      threads=$((cores / ranks > 0 ? cores / ranks : 1))
      timeout 900 mpirun --quiet --oversubscribe -np "$ranks" "$B" "$kind" "${args[@]}" --out "$out" \
        --threads "$threads" >/dev/null
    fi
    read -r s tps < <(median_step "$out/metrics.jsonl" "$tokens")
    gflops=$(python3 -c "print(f'{$tps * $fpt / 1e9:.1f}')")
    per_core=$(python3 -c "print(f'{$tps * $fpt / 1e9 / $cores:.1f}')")
    echo "| $kind | $ranks x $threads | $seq | $tokens | $s | $tps | $gflops | $per_core |"
  done
done

echo
echo "== allreduce ($NP ranks)"
timeout 900 mpirun --quiet --oversubscribe -np "$NP" "$(dirname "$B")/bench_allreduce" --repeats 5
