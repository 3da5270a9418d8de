#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs each for SECONDS
# (default 60), starting from the committed seeds in fuzz/corpus/<target>/. New inputs go to
# build-fuzz/corpus/<target>/ (the committed seeds are never rewritten); a crash is saved as
# build-fuzz/artifacts/<target>-crash-<sha1>. Exits 1 if any target found something.
#
#     fuzz/run.sh              # 60 s per target
#     fuzz/run.sh 600 fuzz_torch   # 10 minutes, one target
#
# A crashing input, once fixed, belongs in fuzz/corpus/<target>/ so that tst_fuzzcorpus replays
# it in every build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(fuzz_model_safetensors fuzz_model_json fuzz_text fuzz_pharaoh fuzz_torch fuzz_bpe_codes fuzz_tokenizer)
fi

if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DATTNVIZ_FUZZ=ON
fi
cmake --build build-fuzz -j2 --target "${targets[@]}"

mkdir -p build-fuzz/artifacts
failed=()
for target in "${targets[@]}"; do
    mkdir -p "build-fuzz/corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    # -rss_limit_mb: a loader that allocates what a header claims instead of what the file holds
    # is a finding. -timeout: one input taking over 10 s is a finding too.
    if ! UBSAN_OPTIONS=print_stacktrace=1 "build-fuzz/bin/$target" \
        "build-fuzz/corpus/$target" "fuzz/corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="build-fuzz/artifacts/$target-" -print_final_stats=1 \
        >"build-fuzz/$target.log" 2>&1; then
        failed+=("$target")
        tail -n 40 "build-fuzz/$target.log" >&2
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "build-fuzz/$target.log" || true
done

if ((${#failed[@]} > 0)); then
    echo "fuzz: findings in ${failed[*]} (see build-fuzz/artifacts/ and build-fuzz/<target>.log)" >&2
    exit 1
fi
echo "fuzz: no findings"
