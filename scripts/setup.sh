#!/usr/bin/env bash
# Installs the project's own libtorch and points the build at it.
#
# - With LIBTORCH=/path set (any libtorch 2.x: a CUDA download, another wheel's torch/), that one is used.
# - Otherwise PyTorch's CPU build torch==2.13.0+cpu is installed into .venv (pip finds the local wheel
#   through PIP_FIND_LINKS); its torch/include + torch/lib are a complete libtorch.
# The link .libtorch names the libtorch that Package.swift builds and rpaths against, so that no other
# libtorch on the machine (Debian's libtorch-dev) can be loaded by mistake.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_PIN="torch==2.13.0+cpu"
VENV=.venv
OPEN_CLIP_PIN="open-clip-torch==3.3.0"

# C libraries the package links (Debian names); installed only when their headers are missing.
missing=()
[[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
[[ -f /usr/include/png.h ]] || missing+=(libpng-dev)
[[ -f /usr/include/jpeglib.h ]] || missing+=(libjpeg62-turbo-dev)
# `scripts/setup.sh --test` (make test): headless Chromium renders the demo report in a test.
if [[ "${1:-}" == "--test" ]] && ! command -v chromium >/dev/null; then missing+=(chromium); fi
if (( ${#missing[@]} )); then
    echo "installing ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "error: missing ${missing[*]}: install them (apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

# CLIP's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) ships inside the open-clip-torch wheel; the
# tokenizer tests read it from .cache/clip. Only the wheel is downloaded (no dependencies), never committed.
vocab=.cache/clip/bpe_simple_vocab_16e6.txt.gz
if [[ ! -f $vocab ]]; then
    tmp=$(mktemp -d)
    if python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$OPEN_CLIP_PIN" >/dev/null 2>&1; then
        mkdir -p .cache/clip
        python3 - "$tmp"/open_clip_torch-*.whl "$vocab" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2] + ".tmp", "wb") as out:
    out.write(wheel.read("open_clip/bpe_simple_vocab_16e6.txt.gz"))
PY
        mv "$vocab.tmp" "$vocab"
    else
        echo "error: could not download $OPEN_CLIP_PIN (PyPI), which carries CLIP's BPE vocabulary" >&2
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$tmp"
fi

if [[ -n "${LIBTORCH:-}" ]]; then
    if [[ ! -f "$LIBTORCH/include/ATen/ATen.h" || ! -e "$LIBTORCH/lib/libtorch.so" ]]; then
        echo "error: LIBTORCH=$LIBTORCH is not a libtorch (expected include/ATen/ATen.h and lib/libtorch.so)" >&2
        exit 1
    fi
    ln -sfn "$LIBTORCH" .libtorch
    echo "libtorch: $LIBTORCH (from LIBTORCH)"
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import torch, sys; sys.exit(torch.__version__ != "2.13.0+cpu")' 2>/dev/null; then
    # --only-binary keeps pip from building anything; the pin keeps it from the multi-GB CUDA build.
    if ! "$VENV/bin/pip" install --quiet --only-binary=:all: "$TORCH_PIN"; then
        echo "error: could not install $TORCH_PIN. It is PyTorch's CPU-only wheel; pip finds it through" >&2
        echo "PIP_FIND_LINKS (a folder holding torch-2.13.0+cpu-*.whl) or PyTorch's CPU index" >&2
        echo "(PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu). Or set LIBTORCH=/path/to/libtorch." >&2
        exit 1
    fi
fi
torch_dir=$("$VENV/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)
ln -sfn "$torch_dir" .libtorch
echo "libtorch: $torch_dir"
