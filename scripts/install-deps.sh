#!/usr/bin/env bash
# Installs the Debian packages that building and testing diffucoder.cpp need, and only those that are
# missing, then the npm packages of the server's client tests (tests/server/node) when their lock file
# changed. Safe to run repeatedly; `make run` and `make test` call it first.
set -euo pipefail

# Build and test dependencies (CI needs all of these).
packages=(
  build-essential cmake ninja-build pkg-config git
  nlohmann-json3-dev   # config.json, tokenizer.json, safetensors headers, jsonl
  libpcre2-dev         # the Qwen2 pre-tokenizer regex (Unicode properties, look-ahead)
  libutf8proc-dev      # NFC normalisation and UTF-8 handling
  libcli11-dev         # command-line parsing
  libfmt-dev           # formatting
  libgtest-dev         # unit tests
  libbenchmark-dev     # micro-benchmarks
  libseccomp-dev       # sandbox system-call filter
  zlib1g-dev           # reading the gzip-compressed benchmark files
  libcpp-httplib-dev   # the HTTP server of `diffucoder serve` and its tests' client
  python3              # the sandboxed code runner and the judge's data parsing
  clang libclang-rt-14-dev  # libFuzzer targets and sanitizers
  clang-format         # the format check of CI (make format-check)
  chromium             # the browser test of the `serve` playground (driven by playwright-core)
  libopenmpi-dev openmpi-bin  # data-parallel runs under mpirun and their tests (optional at build time)
)
# Node.js for the server's client tests; a Node.js from elsewhere (it ships its own npm) is kept.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
# Optional: only the reference scripts in scripts/ and the comparative benchmarks use these.
if [[ "${DIFFUCODER_WITH_TORCH:-0}" == "1" ]]; then
  packages+=(python3-torch python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The npm packages of the Node tests, exactly as each package-lock.json pins them: the OpenAI SDK for Node
# and playwright-core (tests/server/node), the Hub's GGUF parser (tests/model/node). Each folder is skipped
# while its node_modules was installed from its lock file as it is now.
for rel in tests/server/node tests/model/node; do
  node_dir="$(cd "$(dirname "$0")/../$rel" && pwd)"
  stamp="$node_dir/node_modules/.package-lock.sha256"
  want="$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "install-deps: npm ci in $rel"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
done
