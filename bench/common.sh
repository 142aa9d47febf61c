# Set-up shared by bench/*.sh (sourced from the repository root): the thread count, the project's set-up and
# release build of spf ($SPF), a scratch folder ($out) removed on exit, and $PY for the PyTorch side.
THREADS=${THREADS:-$(nproc)}
scripts/setup.sh >/dev/null
swift build -c release --product spf >/dev/null
SPF="$(swift build -c release --show-bin-path)/spf"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The PyTorch side: .venv (torch only) for ops, .venv-reference (diffusers, transformers) for the models.
bench_python() {
    PY=$1/bin/python
    local maker="tools/reference/make_fixtures.sh (it builds the reference venv)"
    [[ $1 == .venv ]] && maker="scripts/setup.sh with LIBTORCH unset (it installs torch into .venv)"
    [[ -x $PY ]] || { echo "error: $PY missing: run $maker first" >&2; exit 1; }
}
