#!/usr/bin/env bash
# The end-to-end fast-decoding table of docs/PERFORMANCE.md: the bundled model on its held-out problems,
# each decoding setting side by side in one run, with the project's own commands only:
#
#   1. formats   `diffucoder quantize` of the bundled model to Q8_0 and Q4_K (written once)
#   2. settings  `diffucoder eval` of every setting below (greedy, entropy order, batch 4, 192 slots)
#   3. table     $WORK/fast-decoding.md: pass@1 with its 95% interval over the problems, its paired change
#                from the first row, generation seconds, steps, answer tokens, answer tokens/s and the
#                speed-up over the first row
#
# Every setting is skipped when its result exists, so the script can be interrupted and started again.
# Timings are only comparable within one run on an otherwise idle machine.
#
# Usage: scripts/fast-decoding-table.sh                 (after `make build`)
#        LIMIT=40 WORK=/tmp/fast scripts/fast-decoding-table.sh   (the first 40 problems only)
#        ROWS="6 7 8 9" WORK=/tmp/formats scripts/fast-decoding-table.sh   (some settings only, by number)
set -euo pipefail
cd "$(dirname "$0")/.."

DIFFUCODER=${DIFFUCODER:-build/bin/diffucoder}
WORK=${WORK:-build-fast-decoding}
MODEL=${MODEL:-models/diffucoder-tiny}
LIMIT=${LIMIT:-0}  # 0: all held-out problems
NEW=${NEW:-192}
ROWS=${ROWS:-}     # settings to run, numbered from 1 as listed below (default: all)
mkdir -p "$WORK"
[[ -x "$DIFFUCODER" ]] || { echo "error: $DIFFUCODER not found; run 'make build' first" >&2; exit 1; }
stage() { echo; echo "== $*"; }

heldout="$WORK/heldout.jsonl"
if [[ ! -f "$heldout" ]]; then
  if [[ "$LIMIT" -gt 0 ]]; then head -n "$LIMIT" "$MODEL/heldout.jsonl" >"$heldout.tmp"
  else cp "$MODEL/heldout.jsonl" "$heldout.tmp"; fi
  mv "$heldout.tmp" "$heldout"
fi

stage "1/3 quantized formats"
for t in q8_0 q4_k; do
  [[ -d "$WORK/model-$t" ]] || "$DIFFUCODER" quantize --model "$MODEL" --type "$t" --out "$WORK/model-$t"
done

# label | model | flags
SETTINGS=(
  "exact: one pass, $NEW steps|$MODEL|"
  "--block-length 32|$MODEL|--block-length 32"
  "--block-length 32 --cache prefix|$MODEL|--block-length 32 --cache prefix"
  "--block-length 32 --cache dual|$MODEL|--block-length 32 --cache dual"
  "dual + --early-stop|$MODEL|--block-length 32 --cache dual --early-stop"
  "dual + early stop + --threshold 0.9|$MODEL|--block-length 32 --cache dual --early-stop --threshold 0.9"
  "... + --precision fast|$MODEL|--block-length 32 --cache dual --early-stop --threshold 0.9 --precision fast"
  "... (exact) on Q8_0 weights|$WORK/model-q8_0|--block-length 32 --cache dual --early-stop --threshold 0.9"
  "... (exact) on Q4_K weights|$WORK/model-q4_k|--block-length 32 --cache dual --early-stop --threshold 0.9"
  "one pass + --early-stop --threshold 0.9|$MODEL|--early-stop --threshold 0.9"
  "one block of $NEW + --cache dual --early-stop --threshold 0.9|$MODEL|--block-length $NEW --cache dual --early-stop --threshold 0.9"
  "... + --precision fast|$MODEL|--block-length $NEW --cache dual --early-stop --threshold 0.9 --precision fast"
  "... (exact) on Q8_0 weights|$WORK/model-q8_0|--block-length $NEW --cache dual --early-stop --threshold 0.9"
  "... (exact) on Q4_K weights|$WORK/model-q4_k|--block-length $NEW --cache dual --early-stop --threshold 0.9"
  "one block of $NEW + --cache dual --early-stop --threshold 0.8|$MODEL|--block-length $NEW --cache dual --early-stop --threshold 0.8"
  "one block of $NEW + --cache dual --early-stop --threshold 0.7|$MODEL|--block-length $NEW --cache dual --early-stop --threshold 0.7"
  "... + --precision fast|$MODEL|--block-length $NEW --cache dual --early-stop --threshold 0.7 --precision fast"
  "--block-length 64 --cache dual --early-stop --threshold 0.9|$MODEL|--block-length 64 --cache dual --early-stop --threshold 0.9"
  "--block-length 96 --cache dual --early-stop --threshold 0.9|$MODEL|--block-length 96 --cache dual --early-stop --threshold 0.9"
  "--block-length 32 --cache sparse --early-stop --threshold 0.9|$MODEL|--block-length 32 --cache sparse --early-stop --threshold 0.9"
  "one block of $NEW + --cache sparse --early-stop --threshold 0.9|$MODEL|--block-length $NEW --cache sparse --early-stop --threshold 0.9"
  "one block of $NEW + --cache sparse --early-stop --threshold 0.7|$MODEL|--block-length $NEW --cache sparse --early-stop --threshold 0.7"
  "... + --precision fast|$MODEL|--block-length $NEW --cache sparse --early-stop --threshold 0.7 --precision fast"
  "... (exact) on Q4_K weights|$WORK/model-q4_k|--block-length $NEW --cache sparse --early-stop --threshold 0.7"
)

# The settings to run, by number: a setting's files are named after its number, so runs of different ROWS
# share one WORK folder.
if [[ -n "$ROWS" ]]; then
  for r in $ROWS; do
    [[ "$r" =~ ^[0-9]+$ && "$r" -ge 1 && "$r" -le "${#SETTINGS[@]}" ]] ||
      { echo "error: ROWS: '$r' is not a setting number (1..${#SETTINGS[@]})" >&2; exit 1; }
  done
  rows=($ROWS)
else
  rows=($(seq 1 "${#SETTINGS[@]}"))
fi

stage "2/3 settings"
for i in "${rows[@]}"; do
  IFS='|' read -r label model flags <<<"${SETTINGS[$((i - 1))]}"
  out="$WORK/setting-$i.json"
  [[ -f "$out" ]] && continue
  echo "-- $i: $label"
  rm -rf "$WORK/eval-$i"
  # shellcheck disable=SC2086  # flags are words
  "$DIFFUCODER" eval --dataset "$heldout" --model "$model" --out-dir "$WORK/eval-$i" --max-new-tokens "$NEW" \
    --batch-size 4 --no-progress --json $flags >"$out.tmp"
  mv "$out.tmp" "$out"
done

stage "3/3 table"
picked=()
for i in "${rows[@]}"; do picked+=("$i|${SETTINGS[$((i - 1))]}"); done
python3 - "$WORK" "${picked[@]}" >"$WORK/fast-decoding.md" <<'EOF'
import glob, json, math, sys
work, settings = sys.argv[1], sys.argv[2:]  # "number|label|model|flags"
print("| setting (greedy, entropy order, batch 4) | pass@1 (%), 95% interval | change from the first row, "
      "paired (points) | generation s | steps | answer tokens | answer tokens/s | speed-up |")
print("|---|---|---|---|---|---|---|---|")
base, first = None, None
for row, s in enumerate(settings):
    i, label = s.split("|")[:2]
    ev = json.loads(open(f"{work}/setting-{i}.json").read().strip().splitlines()[-1])
    solved = {}  # task id -> 1.0 when solved
    for p in glob.glob(f"{work}/eval-{i}/*.results.jsonl"):
        for l in open(p):
            if l.strip():
                r = json.loads(l)
                solved[r["task_id"]] = 1.0 if r["base_pass"] else 0.0
    n, p = len(solved), ev["pass_at_1"]["base"]
    half = 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))
    # The paired change: the mean and 95% interval of the per-problem differences from the first row.
    first = first or solved
    d = [solved[t] - first[t] for t in solved if t in first]
    mean = sum(d) / max(len(d), 1)
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / max(len(d) - 1, 1))
    change = f"{100 * mean:+.0f} ± {100 * 1.96 * sd / math.sqrt(max(len(d), 1)):.0f}" if row > 0 else "0"
    g = ev["generation"]
    rate = g["answer_tokens_per_second"]
    base = base or rate
    print(f"| {label} | {100 * p:.0f} ± {100 * half:.0f} | {change} | {g['seconds']:.1f} | {g['steps']:,} | "
          f"{g['answer_tokens']:,} | {rate:.1f} | {rate / base:.2f}x |")
EOF
cat "$WORK/fast-decoding.md"
