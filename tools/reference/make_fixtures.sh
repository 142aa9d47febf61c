#!/usr/bin/env bash
# Regenerates every committed reference fixture: builds the pinned reference environment
# (.venv-reference, from tools/reference/requirements.txt) if needed, then runs each
# tools/reference/*_fixtures.py with it from the repository root. Needs PyPI (tests never do).
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.venv-reference
REQUIREMENTS=tools/reference/requirements.txt

if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
# Pinned versions only; an already-satisfied environment is left as it is.
if ! "$VENV/bin/pip" install --quiet --prefer-binary -r "$REQUIREMENTS"; then
    echo "error: could not install $REQUIREMENTS into $VENV. torch==2.13.0+cpu is PyTorch's CPU-only wheel:" >&2
    echo "pip finds it through PIP_FIND_LINKS (a folder holding torch-2.13.0+cpu-*.whl) or" >&2
    echo "PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu." >&2
    exit 1
fi
if ! "$VENV/bin/python" -c 'import torch, sys; sys.exit(torch.__version__ != "2.13.0+cpu")'; then
    found=$("$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>&1 || true)
    echo "error: $VENV has torch $found, expected 2.13.0+cpu (the libtorch the package links)" >&2
    exit 1
fi

status=0
for script in tools/reference/*_fixtures.py; do
    echo "== $script"
    if ! "$VENV/bin/python" "$script"; then
        echo "error: $script failed" >&2
        status=1
    fi
done
# Last: the machine these fixtures came from (the tests require bit-exactness only on the same kernels).
if [[ $status -eq 0 ]]; then
    "$VENV/bin/python" tools/reference/machine_record.py || status=1
fi
exit $status
