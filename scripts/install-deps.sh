#!/usr/bin/env bash
# Installs the Debian packages that building and testing diffucoder.cpp need, and only those that are
# missing. Safe to run repeatedly; `make run` and `make test` call it first.
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
)
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
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
