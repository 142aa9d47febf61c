#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/<Name>, only in the package when SPF_FUZZ=1) and runs each one.
#   FUZZ_SECONDS=60 scripts/fuzz.sh              every target for 60 s (default)
#   FUZZ_RUNS=1000000 scripts/fuzz.sh            every target for that many inputs instead
#   FUZZ_TARGETS="FuzzTokenizer" scripts/fuzz.sh only these
# The committed seeds in Fuzz/corpus/<Name> are read; new inputs go to .build-fuzz/corpus/<Name>; a crash
# leaves its input in .build-fuzz/crashes/ and fails the script. One summary line per target (inputs run).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
ALL="FuzzSafeTensorsHeader FuzzTokenizer FuzzUNetConfig FuzzVAEConfig FuzzCLIPConfig FuzzSchedulerConfig FuzzModelIndex FuzzImageFile FuzzMetadataFile FuzzTrainingConfig FuzzTOML"
TARGETS=${FUZZ_TARGETS:-$ALL}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
if [ -z "${FUZZ_SKIP_BUILD:-}" ]; then
    start=$(date +%s)
    # One product at a time: building everything would also link `spf`, whose main clashes with libFuzzer's.
    for target in $TARGETS; do
        if ! SPF_FUZZ=1 $SWIFT build -c release --sanitize=fuzzer -Xswiftc -enable-testing --scratch-path .build-fuzz \
            --product "$target" >> /tmp/spf-fuzz-build.$$.log 2>&1; then
            grep -E "error" -A3 /tmp/spf-fuzz-build.$$.log | head -40; exit 1
        fi
    done
    echo "fuzz build: $(( $(date +%s) - start )) s"
    mv /tmp/spf-fuzz-build.$$.log .build-fuzz/build.log
fi
BIN=$(SPF_FUZZ=1 $SWIFT build -c release --sanitize=fuzzer -Xswiftc -enable-testing --scratch-path .build-fuzz --show-bin-path)
# The fuzz binaries are linked without the rpath CTorch adds to normal builds: point the loader at libtorch.
LIBTORCH_DIR=${LIBTORCH:-.libtorch}
export LD_LIBRARY_PATH="$(readlink -f "$LIBTORCH_DIR")/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Swift's backtracer would take SIGABRT/SIGSEGV first and libFuzzer would never save the crashing input.
export SWIFT_BACKTRACE=enable=no
mkdir -p .build-fuzz/crashes
status=0
for target in $TARGETS; do
    mkdir -p ".build-fuzz/corpus/$target"
    if [ -n "${FUZZ_RUNS:-}" ]; then limit="-runs=$FUZZ_RUNS"; else limit="-max_total_time=$FUZZ_SECONDS"; fi
    log=".build-fuzz/$target.log"
    if "$BIN/$target" $limit -rss_limit_mb=4096 -timeout=10 -max_len=${FUZZ_MAX_LEN:-8192} -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/crashes/$target-" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1; then
        runs=$(grep -E "stat::number_of_executed_units" "$log" | awk '{print $2}')
        echo "$target: ${runs:-?} inputs, no crash"
    else
        echo "$target: FAILED (see $log and .build-fuzz/crashes/)"; tail -30 "$log"; status=1
    fi
done
exit $status
