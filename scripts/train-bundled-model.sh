#!/usr/bin/env bash
# Trains the bundled model models/diffucoder-tiny from nothing, with the project's own commands only:
#
#   1. tokenizer   byte-level BPE (Qwen2 pre-tokenizer), 4,096 merges-level tokens + 5 specials,
#                  learned from the Python standard library sources on this machine
#   2. data        the same sources, tokenized, packed into 256-token sequences, 5% held out
#   3. train       masked-diffusion pre-training of a 6-layer, 256-wide Dream model from fresh weights
#   4. tasks       synthetic Python function-writing problems: the train split (twelve draws of docstring
#                  examples per parameter tuple, so that copying the question pays more than recalling
#                  an answer) as SFT jsonl, and 100 held-out problems (template
#                  parameters disjoint from training) as a benchmark in the eval harness's generic format
#   5. sft         supervised fine-tuning on the chat-formatted tasks (prompt never masked, response padded
#                  with <|dlm_pad|> to 384 tokens): 2,500 steps, then 1,200 more over a new shuffle at a
#                  lower learning rate; exported in BF16
#   6. install     the BF16 export, the held-out benchmark and a demo prompt (the first held-out question)
#                  copied to models/diffucoder-tiny (its README.md, the model card, is kept)
#   7. eval        held-out pass@1 through `diffucoder eval` (greedy, entropy order)
#
# Every stage is skipped when its output exists, and the two training stages resume from their last
# checkpoint, so the script can be interrupted (Ctrl-C) and started again. Work files go to $WORK
# (default build-recipe/); the result replaces models/diffucoder-tiny. Takes about 80 minutes on 2 cores.
#
# Usage: scripts/train-bundled-model.sh            (after `make build`)
#        WORK=/tmp/recipe DIFFUCODER=build/bin/diffucoder scripts/train-bundled-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DIFFUCODER=${DIFFUCODER:-build/bin/diffucoder}
WORK=${WORK:-build-recipe}
MODEL_OUT=${MODEL_OUT:-models/diffucoder-tiny}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-1500}
SFT_STEPS=${SFT_STEPS:-2500}
SFT2_STEPS=${SFT2_STEPS:-1200}
mkdir -p "$WORK"
[[ -x "$DIFFUCODER" ]] || { echo "error: $DIFFUCODER not found; run 'make build' first" >&2; exit 1; }
stage() { echo; echo "== $*"; }

stage "1/7 tokenizer"
if [[ ! -f "$WORK/tokenizer/tokenizer.json" ]]; then
  "$DIFFUCODER" tokenizer train --out "$WORK/tokenizer" --vocab-size 4096
fi

stage "2/7 pre-training data"
if [[ ! -f "$WORK/pretrain-data/dataset.json" ]]; then
  "$DIFFUCODER" data --tokenizer "$WORK/tokenizer" --out "$WORK/pretrain-data" --seq-len 256 \
    --val-fraction 0.05 --seed 1
fi

stage "3/7 pre-training ($PRETRAIN_STEPS steps)"
# Token ids of the tokenizer above: BPE 0..4095, then <|endoftext|> 4096, <|im_start|> 4097,
# <|im_end|> 4098, <|mask|> 4099, <|dlm_pad|> 4100. bos = eos = pad = <|endoftext|> as in Qwen2.
cat >"$WORK/config.json" <<'EOF'
{
  "architectures": ["DreamModel"],
  "model_type": "Dream",
  "attention_dropout": 0.0,
  "bos_token_id": 4096,
  "eos_token_id": 4096,
  "pad_token_id": 4096,
  "mask_token_id": 4099,
  "hidden_act": "silu",
  "hidden_size": 256,
  "intermediate_size": 768,
  "num_hidden_layers": 6,
  "num_attention_heads": 4,
  "num_key_value_heads": 2,
  "head_dim": 64,
  "initializer_range": 0.02,
  "max_position_embeddings": 1024,
  "max_window_layers": 6,
  "rms_norm_eps": 1e-06,
  "rope_scaling": null,
  "rope_theta": 10000.0,
  "sliding_window": null,
  "use_sliding_window": false,
  "tie_word_embeddings": true,
  "torch_dtype": "float32",
  "use_cache": false,
  "vocab_size": 4101
}
EOF
resume=(); [[ -f "$WORK/pretrain/latest" ]] && resume=(--resume)
"$DIFFUCODER" train --out "$WORK/pretrain" --data "$WORK/pretrain-data" --config "$WORK/config.json" \
  --tokenizer "$WORK/tokenizer" --steps "$PRETRAIN_STEPS" --seed 1 --seq-len 256 --batch 8 --lr 1e-3 \
  --warmup 100 --min-lr-ratio 0.1 --weight-decay 0.1 --clip 1.0 --eval-every 250 --eval-batches 8 \
  --save-every 250 "${resume[@]}"

stage "4/7 synthetic tasks"
mkdir -p "$WORK/tasks"
if [[ ! -f "$WORK/tasks/sft-train.jsonl" ]]; then
  for seed in $(seq 1 12); do
    "$DIFFUCODER" tasks --split train --count 100000 --seed "$seed" --sft-out "$WORK/tasks/train-$seed.jsonl"
  done
  cat "$WORK"/tasks/train-{1..12}.jsonl >"$WORK/tasks/sft-train.jsonl.tmp"
  mv "$WORK/tasks/sft-train.jsonl.tmp" "$WORK/tasks/sft-train.jsonl"
fi
if [[ ! -f "$WORK/tasks/heldout-questions.jsonl" ]]; then
  # The same 100 held-out tasks twice: as a benchmark, and as chat questions (for the demo prompt).
  "$DIFFUCODER" tasks --split heldout --count 100 --seed 7 --benchmark-out "$WORK/tasks/heldout.jsonl" \
    --sft-out "$WORK/tasks/heldout-questions.jsonl.tmp"
  mv "$WORK/tasks/heldout-questions.jsonl.tmp" "$WORK/tasks/heldout-questions.jsonl"
fi

stage "5/7 SFT data and fine-tuning ($SFT_STEPS + $SFT2_STEPS steps)"
if [[ ! -f "$WORK/sft-data/dataset.json" ]]; then
  "$DIFFUCODER" data --tokenizer "$WORK/tokenizer" --out "$WORK/sft-data" --sft "$WORK/tasks/sft-train.jsonl" \
    --seq-len 384 --val-fraction 0.03 --seed 1
fi
resume=(); [[ -f "$WORK/sft/latest" ]] && resume=(--resume)
"$DIFFUCODER" sft --out "$WORK/sft" --model "$WORK/pretrain" --data "$WORK/sft-data" --steps "$SFT_STEPS" \
  --seed 1 --seq-len 384 --batch 8 --lr 1e-3 --warmup 100 --min-lr-ratio 0.1 --weight-decay 0.1 \
  --clip 1.0 --eval-every 250 --eval-batches 8 --save-every 250 --export-bf16 "${resume[@]}"

# A second pass over the data, shuffled anew, at a lower learning rate: the first pass ends while the
# validation loss is still falling fast (the model is only then learning to copy from the question).
resume=(); [[ -f "$WORK/sft2/latest" ]] && resume=(--resume)
"$DIFFUCODER" sft --out "$WORK/sft2" --model "$WORK/sft" --data "$WORK/sft-data" --steps "$SFT2_STEPS" \
  --seed 2 --seq-len 384 --batch 8 --lr 5e-4 --warmup 50 --min-lr-ratio 0.1 --weight-decay 0.1 \
  --clip 1.0 --eval-every 250 --eval-batches 8 --save-every 250 --export-bf16 "${resume[@]}"

stage "6/7 install into $MODEL_OUT"
rm -rf "$MODEL_OUT.tmp" && mkdir -p "$MODEL_OUT.tmp"
cp "$WORK"/sft2/export-bf16/* "$MODEL_OUT.tmp/"
cp "$WORK/tasks/heldout.jsonl" "$MODEL_OUT.tmp/heldout.jsonl"
# `make run` asks the model the first held-out question (python3 only unpacks one JSON string).
head -n 1 "$WORK/tasks/heldout-questions.jsonl" |
  python3 -c 'import json, sys; sys.stdout.write(json.loads(sys.stdin.read())["prompt"])' >"$MODEL_OUT.tmp/prompt.txt"
[[ -f "$MODEL_OUT/README.md" ]] && cp "$MODEL_OUT/README.md" "$MODEL_OUT.tmp/README.md"  # the model card
rm -rf "$MODEL_OUT" && mv "$MODEL_OUT.tmp" "$MODEL_OUT"
ls -l "$MODEL_OUT"

stage "7/7 held-out pass@1"
rm -rf "$WORK/eval-heldout"  # samples of an earlier model are not resumed (eval would refuse them)
"$DIFFUCODER" eval --dataset "$MODEL_OUT/heldout.jsonl" --model "$MODEL_OUT" --out-dir "$WORK/eval-heldout" \
  --max-new-tokens 192 --batch-size 4 --json
