#!/usr/bin/env bash
# The small-scale RL experiment of docs/RESULTS.md: coupled-GRPO against its baselines (decoupled masks,
# d1) from the bundled model, on synthetic tasks, judged on the bundled model's 100 held-out problems.
# Uses the project's own commands only:
#
#   1. tasks     RL prompts: `diffucoder tasks --split train` (template parameters disjoint from the
#                held-out split), in the generic benchmark format; rewards from the sandbox and the judge
#   2. baseline  held-out pass@1 (greedy, as the model card) and AR-ness of the starting model
#   3. runs      for each estimator in $ESTIMATORS and seed in $SEEDS: `diffucoder grpo` for $STEPS steps
#                with the same budget (prompts, completions, inner iterations, rollout length), exported in
#                BF16; then its held-out pass@1 and AR-ness, as for the baseline
#   4. table     $WORK/rl-results.md: pass@1 per run, mean per estimator with a 95% interval over the
#                100 problems x seeds, AR-ness before and after
#
# Every stage is skipped when its output exists and every run resumes from its last checkpoint, so the
# script can be interrupted (Ctrl-C) and started again; it takes several CPU-hours at the defaults (each
# grpo step decodes PROMPTS x GROUP completions of MAX_NEW tokens). Environment overrides below.
#
# Usage: scripts/rl-small-scale.sh           (after `make build`)
#        STEPS=2 PROMPTS=1 GROUP=2 MAX_NEW=32 HELDOUT_LIMIT=4 WORK=/tmp/rl scripts/rl-small-scale.sh  (smoke)
set -euo pipefail
cd "$(dirname "$0")/.."

DIFFUCODER=${DIFFUCODER:-build/bin/diffucoder}
WORK=${WORK:-build-rl}
MODEL=${MODEL:-models/diffucoder-tiny}
ESTIMATORS=${ESTIMATORS:-coupled decoupled d1}
SEEDS=${SEEDS:-1 2}
STEPS=${STEPS:-40}
PROMPTS=${PROMPTS:-4}          # prompts per step
GROUP=${GROUP:-8}              # completions per prompt (G)
MAX_NEW=${MAX_NEW:-160}        # rollout length (the held-out answers take 80-130 tokens)
LR=${LR:-2e-5}
BETA=${BETA:-0.01}
REF_SYNC=${REF_SYNC:-20}
EVAL_NEW=${EVAL_NEW:-192}      # as the bundled model's card
HELDOUT_LIMIT=${HELDOUT_LIMIT:-0}  # 0: all 100 held-out problems
AR_LIMIT=${AR_LIMIT:-20}       # held-out prompts decoded for AR-ness
mkdir -p "$WORK"
[[ -x "$DIFFUCODER" ]] || { echo "error: $DIFFUCODER not found; run 'make build' first" >&2; exit 1; }
stage() { echo; echo "== $*"; }

heldout="$WORK/heldout.jsonl"
if [[ ! -f "$heldout" ]]; then
  if [[ "$HELDOUT_LIMIT" -gt 0 ]]; then head -n "$HELDOUT_LIMIT" "$MODEL/heldout.jsonl" >"$heldout.tmp"
  else cp "$MODEL/heldout.jsonl" "$heldout.tmp"; fi
  mv "$heldout.tmp" "$heldout"
fi

stage "1/4 RL tasks"
if [[ ! -f "$WORK/tasks.jsonl" ]]; then
  "$DIFFUCODER" tasks --split train --count 2000 --seed 21 --benchmark-out "$WORK/tasks.jsonl.tmp"
  mv "$WORK/tasks.jsonl.tmp" "$WORK/tasks.jsonl"
fi

# score MODEL_DIR NAME: held-out pass@1 (eval --json) and global AR-ness@1 (analyze --json) into
# $WORK/score-NAME.json, once.
score() {
  local model=$1 name=$2 out="$WORK/score-$2.json"
  [[ -f "$out" ]] && return 0
  rm -rf "$WORK/eval-$name"
  "$DIFFUCODER" eval --dataset "$heldout" --model "$model" --out-dir "$WORK/eval-$name" \
    --max-new-tokens "$EVAL_NEW" --batch-size 4 --json >"$WORK/eval-$name.json"
  "$DIFFUCODER" analyze --model "$model" --benchmark "$heldout" --chat --limit "$AR_LIMIT" \
    --temperature 0 --max-new-tokens "$EVAL_NEW" --json >"$WORK/arness-$name.json"
  python3 - "$WORK/eval-$name.json" "$WORK/arness-$name.json" "$WORK/eval-$name" >"$out.tmp" <<'EOF'
import glob, json, sys
ev = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
ar = json.loads(open(sys.argv[2]).read().strip().splitlines()[0])
# Per-problem results for the interval: the eval's results file, one JSON object per task.
solved = []
for path in glob.glob(sys.argv[3] + "/*.results.jsonl"):
    for line in open(path):
        if line.strip():
            solved.append(1.0 if json.loads(line)["base_pass"] else 0.0)
print(json.dumps({"pass_at_1": ev["pass_at_1"]["base"], "global_arness_1": ar["global_arness"][0],
                  "solved": solved}))
EOF
  mv "$out.tmp" "$out"
}

stage "2/4 baseline"
score "$MODEL" base

stage "3/4 runs"
for est in $ESTIMATORS; do
  for seed in $SEEDS; do
    run="$WORK/run-$est-$seed"
    echo "-- $est, seed $seed"
    resume=(); [[ -f "$run/latest" ]] && resume=(--resume)
    "$DIFFUCODER" grpo --model "$MODEL" --tasks "$WORK/tasks.jsonl" --out "$run" --steps "$STEPS" \
      --prompts-per-step "$PROMPTS" --group-size "$GROUP" --inner-iterations 2 --ref-sync "$REF_SYNC" \
      --estimator "$est" --seed "$seed" --lr "$LR" --beta "$BETA" --warmup 2 --max-new-tokens "$MAX_NEW" \
      --max-prompt-tokens 200 --save-every 5 --export-bf16 "${resume[@]}"
    score "$run/export-bf16" "$est-$seed"
  done
done

stage "4/4 table"
python3 - "$WORK" "$ESTIMATORS" "$SEEDS" >"$WORK/rl-results.md" <<'EOF'
import json, math, sys
work, ests, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def load(name): return json.load(open(f"{work}/score-{name}.json"))
def interval(xs):
    n = len(xs)
    if n == 0: return "-"
    p = sum(xs) / n
    half = 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / n)
    return f"{100 * p:.1f} ± {100 * half:.1f}"
base = load("base")
print("| policy | seeds | held-out pass@1 (%) per seed | pass@1 (%), 95% interval | global AR-ness@1 |")
print("|---|---|---|---|---|")
print(f"| start ({len(base['solved'])} problems) | - | {100 * base['pass_at_1']:.1f} | {interval(base['solved'])} | "
      f"{base['global_arness_1']:.3f} |")
for e in ests:
    runs = [load(f"{e}-{s}") for s in seeds]
    solved = [x for r in runs for x in r["solved"]]
    per = ", ".join(f"{100 * r['pass_at_1']:.1f}" for r in runs)
    ar = sum(r["global_arness_1"] for r in runs) / len(runs)
    print(f"| {e} | {len(runs)} | {per} | {interval(solved)} | {ar:.3f} |")
EOF
cat "$WORK/rl-results.md"
