#!/usr/bin/env bash
# Builds (if needed) and runs every test; exits non-zero if any fails.
# Pass ctest arguments to narrow it down, e.g.  ./scripts/test.sh -L unit
#
# Three stages, all of them in CI (.ci/run):
#   1. the release build (build/) and the whole suite;
#   2. the asan preset (build-asan/, RelWithDebInfo, ASan + UBSan) and the whole suite under it;
#   3. fuzz/run.sh: each libFuzzer target for ATTNVIZ_FUZZ_SECONDS (default 60) seconds:
#      about a minute each, as issue #9 asks, so that every change is fuzzed a little.
# ATTNVIZ_QUICK=1 stops after stage 1, for a quick local check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each stage says how long it took (docs/reliability.md keeps the last measured times).
stage_start=$SECONDS
stage_done() {
    echo "test: $1 took $(((SECONDS - stage_start) / 60)) min $(((SECONDS - stage_start) % 60)) s"
    stage_start=$SECONDS
}

bash scripts/setup.sh
stage_done "setup (packages, configure, build)"
QT_QPA_PLATFORM=offscreen ctest --test-dir build --output-on-failure -j2 "$@"
stage_done "the release suite"

if [[ ${ATTNVIZ_QUICK:-0} == 1 ]]; then
    echo "test: ATTNVIZ_QUICK=1: skipping the sanitizer build and the fuzzers"
    exit 0
fi

echo "test: the asan preset (ASan + UBSan)"
if [[ ! -f build-asan/CMakeCache.txt ]]; then
    cmake --preset asan
fi
cmake --build build-asan -j2
ctest --preset asan -j2 "$@"
stage_done "the asan build and suite"

echo "test: fuzzing, ${ATTNVIZ_FUZZ_SECONDS:-60} s per target"
bash fuzz/run.sh "${ATTNVIZ_FUZZ_SECONDS:-60}"
stage_done "fuzzing"
