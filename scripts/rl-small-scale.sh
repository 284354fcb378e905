#!/usr/bin/env bash
# The small-scale RL experiment of docs/RESULTS.md: coupled-GRPO against its baselines (decoupled masks,
# d1) from the bundled model, on synthetic tasks, judged on the bundled model's 100 held-out problems.
# Uses the project's own commands only:
#
#   1. format    a short SFT pass ($FORMAT_SFT_STEPS steps) from the bundled model on fresh draws of the
#                train-split problems, framed as SFT frames them now: each answer ends its turn with
#                "<|im_end|>\n". The bundled model was trained when answers ended with <|im_end|> alone, so
#                its answers end in "```" and every one of them scores format 0 (SPEC §6 asks for "```\n");
#                every group would be flat and RL would learn nothing. This pass is the RL start.
#                With FORMAT_PER_TEMPLATE=N: the pass draws N tasks of every template (`tasks --per-template`)
#                instead of the whole split, which is two thirds affine and quadratic; a start made so
#                is recorded in $WORK/start-recipe.txt, and a WORK holding a start of other settings is
#                refused (use another WORK).
#   2. tasks     RL prompts: `diffucoder tasks --split train` (template parameters disjoint from the
#                held-out split), in the generic benchmark format; rewards from the sandbox and the judge.
#                With FILTER=N: the first $FILTER_POOL of them are decoded N times by the start as rollouts
#                are (`eval --n N` at T = 1.2), and only those whose samples pass different shares of their
#                tests are kept (a prompt always or never solved gives a flat group, which teaches nothing);
#                the runs and scores of a filtered experiment are named ESTIMATOR-mixed-SEED
#                (with ROLLOUT_CACHE=C: ESTIMATOR[-mixed]-C-SEED).
#                With FILTER=N FILTER_BY=family: the pool is the first $FILTER_PER_FAMILY prompts of each
#                template family instead, and a family is kept when at least a quarter of its pool prompts
#                give samples that disagree; the RL prompts are then up to $FAMILY_CAP prompts of each kept
#                family (the train split is two thirds affine and quadratic, which the start always
#                solves). Such runs are named ESTIMATOR-families[-C]-SEED.
#   3. baseline  held-out pass@1 (greedy, as the model card) and AR-ness of the bundled model and of the
#                start
#                With CEILING=N: the start's held-out samples drawn N times as rollouts are, per template
#                family, into $WORK/ceiling-N.md: RL reinforces what its samples solve, so the share of
#                problems some sample solves bounds what it can sharpen into greedy pass@1
#   4. runs      for each estimator in $ESTIMATORS and seed in $SEEDS: `diffucoder grpo` for $STEPS steps
#                with the same budget (prompts, completions, inner iterations, rollout length), exported in
#                BF16; then its held-out pass@1 and AR-ness, as for the baseline
#   5. table     $WORK/rl-results.md: pass@1 per run, mean per estimator with a 95% interval over the
#                100 problems x seeds, the change from the start paired problem by problem, AR-ness
#
# Every stage is skipped when its output exists and every run resumes from its last checkpoint, so the
# script can be interrupted (Ctrl-C) and started again. At the defaults on 2 cores with
# LAUNCH="mpirun -np 2": the format pass 8 min, each grpo run 11 min (16 steps of 4 x 8 completions),
# each held-out score 5 min; about 2 h in all. Environment overrides below.
#
# Usage: scripts/rl-small-scale.sh           (after `make build`)
#        LAUNCH="mpirun -np 2" scripts/rl-small-scale.sh   (as docs/RESULTS.md measured it)
#        STEPS=2 PROMPTS=1 GROUP=2 MAX_NEW=32 HELDOUT_LIMIT=4 WORK=/tmp/rl scripts/rl-small-scale.sh  (smoke)
set -euo pipefail
cd "$(dirname "$0")/.."

DIFFUCODER=${DIFFUCODER:-build/bin/diffucoder}
WORK=${WORK:-build-rl}
MODEL=${MODEL:-models/diffucoder-tiny}   # the bundled model; the RL start is its format pass
FORMAT_SFT_STEPS=${FORMAT_SFT_STEPS:-400}
FORMAT_PER_TEMPLATE=${FORMAT_PER_TEMPLATE:-0}  # > 0: the format pass draws this many tasks per template
ESTIMATORS=${ESTIMATORS-coupled decoupled d1}  # empty: the baselines only
SEEDS=${SEEDS:-1 2}
STEPS=${STEPS:-16}
PROMPTS=${PROMPTS:-4}          # prompts per step
GROUP=${GROUP:-8}              # completions per prompt (G)
MAX_NEW=${MAX_NEW:-160}        # rollout length (the held-out answers take 80-130 tokens)
THRESHOLD=${THRESHOLD:-0.9}    # rollouts commit every slot at least this certain per step (0: one per step)
ROLLOUT_STEPS=${ROLLOUT_STEPS:-80}  # ... in at most this many steps
# none: rollouts run full passes; sparse (or prefix, dual): the cache of `generate --cache`, with the
# whole rollout as one block (about 5x faster rollouts; docs/PERFORMANCE.md)
ROLLOUT_CACHE=${ROLLOUT_CACHE:-none}
# 1e-4 moved the policy too far: the KL to the reference reached 0.21 within 8 steps (0.012 at 3e-5)
# and held-out pass@1 fell from 26% to 20% (one coupled run; docs/RESULTS.md).
LR=${LR:-3e-5}
BETA=${BETA:-0.01}
REF_SYNC=${REF_SYNC:-8}
FILTER=${FILTER:-0}            # > 0: keep the RL prompts whose FILTER samples from the start disagree
FILTER_POOL=${FILTER_POOL:-240}  # ... out of the first this many
FILTER_BY=${FILTER_BY:-prompt}   # prompt: keep single prompts; family: keep whole template families
FILTER_PER_FAMILY=${FILTER_PER_FAMILY:-8}  # family: pool prompts per family
FAMILY_CAP=${FAMILY_CAP:-48}     # family: RL prompts per kept family
CEILING=${CEILING:-0}          # > 0: the start's held-out pass@k over this many rollout-like samples
EVAL_NEW=${EVAL_NEW:-192}      # as the bundled model's card
HELDOUT_LIMIT=${HELDOUT_LIMIT:-0}  # 0: all 100 held-out problems
AR_LIMIT=${AR_LIMIT:-20}       # held-out prompts decoded for AR-ness
# A launcher for `eval` and `grpo`, e.g. LAUNCH="mpirun -np 2": data-parallel ranks (docs/SCALING.md) with
# the same results; on 2 cores, 2 ranks of 1 thread are faster than 1 process of 2 threads.
read -r -a LAUNCH <<<"${LAUNCH:-}"
mkdir -p "$WORK"
[[ -x "$DIFFUCODER" ]] || { echo "error: $DIFFUCODER not found; run 'make build' first" >&2; exit 1; }
stage() { echo; echo "== $*"; }

heldout="$WORK/heldout.jsonl"
if [[ ! -f "$heldout" ]]; then
  if [[ "$HELDOUT_LIMIT" -gt 0 ]]; then head -n "$HELDOUT_LIMIT" "$MODEL/heldout.jsonl" >"$heldout.tmp"
  else cp "$MODEL/heldout.jsonl" "$heldout.tmp"; fi
  mv "$heldout.tmp" "$heldout"
fi

stage "1/5 format pass ($FORMAT_SFT_STEPS SFT steps)"
START="$WORK/start/export-bf16"
# A WORK made before start-recipe.txt existed holds a start of the default settings.
start_recipe="format pass: $FORMAT_SFT_STEPS steps, $FORMAT_PER_TEMPLATE per template (0: whole split x 3)"
if [[ -f "$WORK/start-recipe.txt" && "$(cat "$WORK/start-recipe.txt")" != "$start_recipe" ]]; then
  echo "error: $WORK holds a start made with '$(cat "$WORK/start-recipe.txt")', not '$start_recipe'; use another WORK" >&2
  exit 1
fi
[[ -d "$WORK/start" ]] || echo "$start_recipe" >"$WORK/start-recipe.txt"
if [[ ! -f "$START/model.safetensors" ]]; then
  if [[ ! -f "$WORK/format-data/dataset.json" ]]; then
    if [[ "$FORMAT_PER_TEMPLATE" -gt 0 ]]; then
      "$DIFFUCODER" tasks --split train --per-template "$FORMAT_PER_TEMPLATE" --seed 31 \
        --sft-out "$WORK/format.jsonl"
    else
      # Fresh draws of the train split (other seeds than the bundled model's SFT data).
      for seed in 31 32 33; do
        "$DIFFUCODER" tasks --split train --count 100000 --seed "$seed" --sft-out "$WORK/format-$seed.jsonl"
      done
      cat "$WORK"/format-{31,32,33}.jsonl >"$WORK/format.jsonl"
    fi
    "$DIFFUCODER" data --tokenizer "$MODEL" --out "$WORK/format-data" --sft "$WORK/format.jsonl" \
      --seq-len 384 --val-fraction 0.03 --seed 5
  fi
  resume=(); [[ -f "$WORK/start/latest" ]] && resume=(--resume)
  "$DIFFUCODER" sft --out "$WORK/start" --model "$MODEL" --data "$WORK/format-data" \
    --steps "$FORMAT_SFT_STEPS" --seed 5 --seq-len 384 --batch 8 --lr 3e-4 --warmup 20 --min-lr-ratio 0.1 \
    --weight-decay 0.1 --clip 1.0 --eval-every 100 --eval-batches 8 --save-every 100 --export-bf16 \
    "${resume[@]}"
fi

stage "2/5 RL tasks"
if [[ ! -f "$WORK/tasks.jsonl" ]]; then
  "$DIFFUCODER" tasks --split train --count 2000 --seed 21 --benchmark-out "$WORK/tasks.jsonl.tmp"
  mv "$WORK/tasks.jsonl.tmp" "$WORK/tasks.jsonl"
fi

# sample_as_rollouts DATASET OUT_DIR N [EVAL_ARGS...]: the start's answers to DATASET, N per problem,
# drawn as rollouts draw them (T = 1.2, top-p 0.95, the rollout length, threshold and step cap), judged
# into OUT_DIR (resumed when interrupted); the summary into OUT_DIR.json.
sample_as_rollouts() {
  local dataset=$1 out=$2 n=$3
  shift 3
  "${LAUNCH[@]}" "$DIFFUCODER" eval --dataset "$dataset" --model "$START" --out-dir "$out" --n "$n" \
    --temperature 1.2 --top-p 0.95 --seed 7 --max-new-tokens "$MAX_NEW" --threshold "$THRESHOLD" \
    --steps "$ROLLOUT_STEPS" "$@" --batch-size 4 --json >"$out.json"
}

RL_TASKS="$WORK/tasks.jsonl"
TAG=""
if [[ "$FILTER" -gt 0 ]]; then
  if [[ "$FILTER_BY" == family ]]; then
    RL_TASKS="$WORK/tasks-families-$FILTER.jsonl"
    TAG="-families"
    pool="$WORK/family-pool.jsonl"
    samples="$WORK/family-filter-$FILTER"
    none_kept="kept no family; raise FILTER or FILTER_PER_FAMILY"
  else
    RL_TASKS="$WORK/tasks-mixed-$FILTER.jsonl"
    TAG="-mixed"
    pool="$WORK/filter-pool.jsonl"
    samples="$WORK/filter-$FILTER"
    none_kept="kept no prompt; raise FILTER_POOL"
  fi
  if [[ ! -f "$RL_TASKS" ]]; then
    if [[ "$FILTER_BY" == family ]]; then
      python3 - "$WORK/tasks.jsonl" "$FILTER_PER_FAMILY" >"$pool" <<'EOF'
import json, sys
taken = {}
for line in open(sys.argv[1]):
    if line.strip():
        family = json.loads(line)["template"]
        if taken.get(family, 0) < int(sys.argv[2]):
            taken[family] = taken.get(family, 0) + 1
            sys.stdout.write(line)
EOF
    else
      head -n "$FILTER_POOL" "$WORK/tasks.jsonl" >"$pool"
    fi
    sample_as_rollouts "$pool" "$samples" "$FILTER"
    python3 - "$FILTER_BY" "$pool" "$WORK/tasks.jsonl" "$samples" "$FAMILY_CAP" >"$RL_TASKS.tmp" <<'EOF'
import glob, json, sys
mode, pool_path, tasks_path, samples, cap = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
# Per pool prompt: the set of shares of tests its samples pass; more than one share = an informative group.
shares = {}
for path in glob.glob(samples + "/*.results.jsonl"):
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            shares.setdefault(r["task_id"], set()).add(r["base"]["passed"] / max(r["base"]["total"], 1))
informative = lambda task_id: len(shares.get(task_id, ())) > 1
if mode != "family":
    kept = 0
    for line in open(pool_path):
        if line.strip() and informative(json.loads(line)["task_id"]):
            sys.stdout.write(line)
            kept += 1
    print(f"filter: kept {kept} of {len(shares)} prompts whose samples disagree", file=sys.stderr)
    sys.exit(0)
family_of = lambda task_id: task_id.split("/")[1]  # synthetic/FAMILY/PARAMS
pool, useful = {}, {}
for task_id in shares:
    f = family_of(task_id)
    pool[f] = pool.get(f, 0) + 1
    useful[f] = useful.get(f, 0) + informative(task_id)
kept = sorted(f for f in pool if 4 * useful[f] >= pool[f])
for f in sorted(pool):
    print(f"filter: {f}: {useful[f]} of {pool[f]} prompts informative{' (kept)' if f in kept else ''}",
          file=sys.stderr)
taken = {}
for line in open(tasks_path):
    if line.strip():
        f = json.loads(line)["template"]
        if f in kept and taken.get(f, 0) < cap:
            taken[f] = taken.get(f, 0) + 1
            sys.stdout.write(line)
print(f"filter: {sum(taken.values())} RL prompts from {len(kept)} families", file=sys.stderr)
EOF
    # An empty selection is not kept, so a later run with other filter settings tries again.
    [[ -s "$RL_TASKS.tmp" ]] || { rm -f "$RL_TASKS.tmp"; echo "error: FILTER=$FILTER $none_kept" >&2; exit 1; }
    mv "$RL_TASKS.tmp" "$RL_TASKS"
  fi
fi

# score MODEL_DIR NAME: held-out pass@1 (eval --json) and global AR-ness@1 (analyze --json) into
# $WORK/score-NAME.json, once.
score() {
  local model=$1 name=$2 out="$WORK/score-$2.json"
  [[ -f "$out" ]] && return 0
  # An interrupted eval resumes from its samples file.
  "${LAUNCH[@]}" "$DIFFUCODER" eval --dataset "$heldout" --model "$model" --out-dir "$WORK/eval-$name" \
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

# Runs with cached rollouts are named ESTIMATOR[-mixed]-CACHE-SEED, so they never resume another's.
cache=()
if [[ "$ROLLOUT_CACHE" != none ]]; then
  cache=(--cache "$ROLLOUT_CACHE" --block-length "$MAX_NEW")
  TAG="$TAG-$ROLLOUT_CACHE"
fi

stage "3/5 baselines"
score "$MODEL" bundled
score "$START" start
if [[ "$CEILING" -gt 0 && ! -f "$WORK/ceiling-$CEILING.md" ]]; then
  sample_as_rollouts "$heldout" "$WORK/ceiling-$CEILING" "$CEILING" "${cache[@]}"
  python3 - "$WORK/ceiling-$CEILING" "$WORK/eval-start" "$WORK/ceiling-$CEILING.json" \
    >"$WORK/ceiling-$CEILING.md.tmp" <<'EOF'
import glob, json, sys
def results(folder):
    for path in glob.glob(folder + "/*.results.jsonl"):
        for line in open(path):
            if line.strip():
                yield json.loads(line)
family_of = lambda task_id: task_id.split("/")[1]  # synthetic/FAMILY/PARAMS
greedy = {r["task_id"]: r["base_pass"] for r in results(sys.argv[2])}
samples = {}
for r in results(sys.argv[1]):
    samples.setdefault(r["task_id"], []).append((r["base_pass"], r["base"]["passed"] / max(r["base"]["total"], 1)))
n = max(len(s) for s in samples.values())
summary = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1])
ks = ", ".join(f"pass@{k} {100 * v['base']:.1f}%" for k, v in sorted(summary["pass_at_k"].items(), key=lambda kv: int(kv[0])))
print(f"The start's held-out samples, {n} per problem as rollouts draw them: {ks}; some sample solves "
      f"{100 * sum(any(p for p, _ in s) for s in samples.values()) / len(samples):.1f}% of the problems "
      f"(greedy pass@1 {100 * sum(greedy.values()) / len(greedy):.1f}%).\n")
print("| family | problems | solved greedily | solved by some sample | samples that pass | tests passed |")
print("|---|---|---|---|---|---|")
for f in sorted({family_of(t) for t in samples}):
    ts = [t for t in samples if family_of(t) == f]
    flat = [x for t in ts for x in samples[t]]
    print(f"| {f} | {len(ts)} | {sum(greedy.get(t, False) for t in ts)} | {sum(any(p for p, _ in samples[t]) for t in ts)} | "
          f"{100 * sum(p for p, _ in flat) / len(flat):.0f}% | {100 * sum(s for _, s in flat) / len(flat):.0f}% |")
EOF
  mv "$WORK/ceiling-$CEILING.md.tmp" "$WORK/ceiling-$CEILING.md"
  cat "$WORK/ceiling-$CEILING.md"
fi

stage "4/5 runs"
for est in $ESTIMATORS; do
  for seed in $SEEDS; do
    run="$WORK/run-$est$TAG-$seed"
    echo "-- $est$TAG, seed $seed"
    resume=(); [[ -f "$run/latest" ]] && resume=(--resume)
    "${LAUNCH[@]}" "$DIFFUCODER" grpo --model "$START" --tasks "$RL_TASKS" --out "$run" --steps "$STEPS" \
      --prompts-per-step "$PROMPTS" --group-size "$GROUP" --inner-iterations 2 --ref-sync "$REF_SYNC" \
      --estimator "$est" --seed "$seed" --lr "$LR" --beta "$BETA" --warmup 2 --max-new-tokens "$MAX_NEW" \
      --threshold "$THRESHOLD" --rollout-steps "$ROLLOUT_STEPS" --max-prompt-tokens 200 --save-every 4 \
      "${cache[@]}" --export-bf16 "${resume[@]}"
    score "$run/export-bf16" "$est$TAG-$seed"
  done
done

stage "5/5 table"
TAGGED=$(for e in $ESTIMATORS; do printf '%s%s ' "$e" "$TAG"; done)
python3 - "$WORK" "$TAGGED" "$SEEDS" >"$WORK/rl-results.md" <<'EOF'
import json, math, sys
work, ests, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def load(name): return json.load(open(f"{work}/score-{name}.json"))
def mean_interval(xs):
    """The mean and the half-width of its normal-theory 95% interval."""
    n = len(xs)
    m = sum(xs) / n
    var = sum((x - m) ** 2 for x in xs) / max(n - 1, 1)
    return m, 1.96 * math.sqrt(var / n)
def pct(m, h): return f"{100 * m:.1f} ± {100 * h:.1f}"
# Every eval lists the held-out problems in the dataset's order, so runs pair problem by problem.
start = load("start")["solved"]
def rollout_reward(run):
    """Mean rollout reward over the second half of a run's steps (metrics.jsonl). Runs with the same seed
    see the same prompts in the same order, so this pairs across estimators."""
    rows = [json.loads(l) for l in open(f"{work}/{run}/metrics.jsonl") if l.strip()]
    half = rows[len(rows) // 2:]
    return sum(r["reward_mean"] for r in half) / len(half)
print("| policy | seeds | held-out pass@1 (%) per seed | pass@1 (%), 95% interval | "
      "change from the start (points), paired 95% interval | global AR-ness@1 | mean rollout reward, second half of the steps, per seed |")
print("|---|---|---|---|---|---|---|")
def row(label, runs, n_seeds, rewards=None):
    n = len(start)
    assert all(len(r["solved"]) == n for r in runs), "runs judged on different problem sets"
    # Per problem: the share of this policy's seeds that solve it (pass@1 over seeds x problems).
    per_problem = [sum(r["solved"][i] for r in runs) / len(runs) for i in range(n)]
    per = ", ".join(f"{100 * r['pass_at_1']:.1f}" for r in runs)
    delta = [per_problem[i] - start[i] for i in range(n)]
    ar = sum(r["global_arness_1"] for r in runs) / len(runs)
    print(f"| {label} | {n_seeds} | {per} | {pct(*mean_interval(per_problem))} | "
          f"{pct(*mean_interval(delta))} | {ar:.3f} | {', '.join(f'{x:.2f}' for x in rewards or []) or '-'} |")
row(f"bundled model ({len(start)} problems)", [load("bundled")], "-")
row("start: its format pass", [load("start")], "-")
for e in ests:
    row(e, [load(f"{e}-{s}") for s in seeds], len(seeds), [rollout_reward(f"run-{e}-{s}") for s in seeds])
EOF
cat "$WORK/rl-results.md"
