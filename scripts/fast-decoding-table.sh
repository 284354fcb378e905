#!/usr/bin/env bash
# The end-to-end fast-decoding table of docs/PERFORMANCE.md: the bundled model on its held-out problems,
# each decoding setting side by side in one run, with the project's own commands only:
#
#   1. formats   `diffucoder quantize` of the bundled model to Q8_0 and Q4_K (written once)
#   2. settings  `diffucoder eval` of every setting below (greedy, entropy order, batch 4, 192 slots)
#   3. table     $WORK/fast-decoding.md: pass@1 with its 95% interval over the problems, generation seconds,
#                steps, answer tokens, answer tokens/s and the speed-up over the first row
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
)

if [[ -n "$ROWS" ]]; then
  picked=()
  for r in $ROWS; do
    [[ "$r" =~ ^[0-9]+$ && "$r" -ge 1 && "$r" -le "${#SETTINGS[@]}" ]] ||
      { echo "error: ROWS: '$r' is not a setting number (1..${#SETTINGS[@]})" >&2; exit 1; }
    picked+=("${SETTINGS[$((r - 1))]}")
  done
  SETTINGS=("${picked[@]}")
fi

stage "2/3 settings"
i=0
for s in "${SETTINGS[@]}"; do
  IFS='|' read -r label model flags <<<"$s"
  i=$((i + 1))
  out="$WORK/setting-$i.json"
  [[ -f "$out" ]] && continue
  echo "-- $label"
  rm -rf "$WORK/eval-$i"
  # shellcheck disable=SC2086  # flags are words
  "$DIFFUCODER" eval --dataset "$heldout" --model "$model" --out-dir "$WORK/eval-$i" --max-new-tokens "$NEW" \
    --batch-size 4 --no-progress --json $flags >"$out.tmp"
  mv "$out.tmp" "$out"
done

stage "3/3 table"
python3 - "$WORK" "${SETTINGS[@]}" >"$WORK/fast-decoding.md" <<'EOF'
import glob, json, math, sys
work, settings = sys.argv[1], sys.argv[2:]
print("| setting (greedy, entropy order, batch 4) | pass@1 (%), 95% interval | generation s | steps | "
      "answer tokens | answer tokens/s | speed-up |")
print("|---|---|---|---|---|---|---|")
base = None
for i, s in enumerate(settings, 1):
    label = s.split("|")[0]
    ev = json.loads(open(f"{work}/setting-{i}.json").read().strip().splitlines()[-1])
    solved = [1.0 if json.loads(l)["base_pass"] else 0.0
              for p in glob.glob(f"{work}/eval-{i}/*.results.jsonl") for l in open(p) if l.strip()]
    n, p = len(solved), ev["pass_at_1"]["base"]
    half = 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))
    g = ev["generation"]
    rate = g["answer_tokens_per_second"]
    base = base or rate
    print(f"| {label} | {100 * p:.0f} ± {100 * half:.0f} | {g['seconds']:.1f} | {g['steps']:,} | "
          f"{g['answer_tokens']:,} | {rate:.1f} | {rate / base:.2f}x |")
EOF
cat "$WORK/fast-decoding.md"
