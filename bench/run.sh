#!/usr/bin/env bash
# Runs the engine's benchmarks and PyTorch's on the same model files and sentences, one after
# the other, and prints the table of medians and ratios that docs/performance.md shows.
#
#     bench/run.sh [--small] [NAME_FILTER]
#
#   --small      tiny models, for a quick check that everything runs
#   NAME_FILTER  only the cases whose name contains it ("greedy/", "h256")
#
# The engine runs twice: built as CI and packages build it (Release, -O3, x86-64 baseline: SSE2)
# and with -march=native (ATTNVIZ_NATIVE=ON). Random-weight models are written once into
# build/bench-models/ (or build/bench-models-small/), the builds go to build-bench/ and
# build-bench-native/, the raw results and the table to build-bench/results/<time>/.
# The machine should be otherwise idle.
#
# Debian's python3-torch calls the system BLAS (libblas.so.3), the unoptimized reference BLAS
# unless another is installed. To also time PyTorch with OpenBLAS without installing it for
# everyone, unpack it and point ATTNVIZ_TORCH_BLAS_DIR at its libblas.so.3:
#     apt-get download libopenblas0-serial && dpkg-deb -x libopenblas0-serial_*.deb /tmp/openblas
#     ATTNVIZ_TORCH_BLAS_DIR=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-serial bench/run.sh
# The transformer attribution cases (attribute-*/eng-fra-marian) time Hugging Face's own
# MarianMTModel on the sample folder: ATTNVIZ_HF_CHECKOUT=/path/to/transformers-4.27.1 (its
# src/transformers); without it PyTorch's side of those cases is skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

models=build/bench-models
small=()
filter=
for arg in "$@"; do
    case $arg in
        --small) models=build/bench-models-small small=(--small) ;;
        -*) echo "usage: bench/run.sh [--small] [NAME_FILTER]" >&2; exit 2 ;;
        *) filter=$arg ;;
    esac
done
torch_python=/usr/bin/python3 # Debian's python3-torch is installed for this interpreter only

"$torch_python" tools/make_bench_models.py "$models" "${small[@]}"
for native in OFF ON; do
    build=build-bench
    [[ $native == ON ]] && build=build-bench-native
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNVIZ_BUILD_TESTS=OFF \
        -DATTNVIZ_BUILD_BENCH=ON -DATTNVIZ_NATIVE=$native >/dev/null
    cmake --build "$build" --target bench_engine attnviz-cli >/dev/null
done

results=build-bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB"
    echo "command: bench/run.sh $*"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet -- engine bench || echo ' (engine/bench modified)')"
    echo "engine: Release (-O3), x86-64 baseline and -march=native; PyTorch $("$torch_python" -c 'import torch; print(torch.__version__)'), BLAS $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)${ATTNVIZ_TORCH_BLAS_DIR:+ and $ATTNVIZ_TORCH_BLAS_DIR}"
} | tee "$results/header.txt"

: >"$results/extras.jsonl"
for build in build-bench build-bench-native; do
    echo "attnviz ($build)..." >&2
    "$build/bin/bench_engine" "$models" "$filter" | tee "$results/$build.jsonl" >&2
    if [[ $build == build-bench && ( -z $filter || $filter == load* ) ]]; then
        for file in "$models"/load50-*.safetensors "$models"/bahdanau-*.safetensors "$models"/onmt-*.safetensors \
            "$models"/joey-*.safetensors; do
            [[ -f $file ]] && "$build/bin/bench_engine" --load-rss "$file" >>"$results/extras.jsonl"
        done
        # attnviz-cli info in a fresh process against cat of the same file (issue #14's cold start).
        for file in "$models"/load50-*.safetensors "$models"/onmt-*.safetensors; do
            [[ -f $file ]] && python3 bench/cold_start.py "$file" --cli "$build/bin/attnviz-cli" \
                | tee -a "$results/cold_start.jsonl" >&2
        done
    fi
    if [[ -z $filter || $filter == roofline ]]; then
        "$build/bin/bench_engine" --roofline "$models" | sed "s|\"roofline/|\"roofline/$build/|" >>"$results/extras.jsonl"
    fi
done
if [[ -z $filter || $filter == gui* ]] && ! cmake --build build-bench --target bench_gui bench_timeline >/dev/null; then
    echo "bench_gui does not build (see: cmake --build build-bench --target bench_gui); GUI cases skipped" >&2
elif [[ -z $filter || $filter == gui* ]]; then
    # The default sample model (the keystroke target is set for it), then two random ones.
    for file in sample_models/eng-fra-bahdanau.safetensors "$models"/bahdanau-h128-v5k.safetensors \
        "$models"/bahdanau-h256-v30k.safetensors; do
        [[ -f $file ]] || continue
        # The offscreen plugin warns about every window resize; nothing else is filtered.
        QT_QPA_PLATFORM=offscreen build-bench/bin/bench_gui "$file" \
            2> >(grep -v propagateSizeHints >&2) >>"$results/extras.jsonl"
    done
    # A run of 50 checkpoints of a 10.7 MB model, written to a temporary folder (about 530 MB).
    QT_QPA_PLATFORM=offscreen build-bench/bin/bench_timeline 50 \
        2> >(grep -v propagateSizeHints >&2) >>"$results/extras.jsonl"
fi
echo "PyTorch..." >&2
"$torch_python" tools/bench_torch.py "$models" "$filter" 2>>"$results/header.txt" | tee "$results/torch.jsonl" >&2
torch_runs=("torch:PyTorch=$results/torch.jsonl")
if [[ -n ${ATTNVIZ_TORCH_BLAS_DIR:-} ]]; then
    echo "PyTorch with the BLAS in $ATTNVIZ_TORCH_BLAS_DIR..." >&2
    LD_LIBRARY_PATH=$ATTNVIZ_TORCH_BLAS_DIR "$torch_python" tools/bench_torch.py "$models" "$filter" 2>>"$results/header.txt" \
        | tee "$results/torch-blas.jsonl" >&2
    torch_runs+=("torch:PyTorch+OpenBLAS=$results/torch-blas.jsonl")
fi

echo
python3 bench/compare.py "ours:attnviz=$results/build-bench.jsonl" "ours:native=$results/build-bench-native.jsonl" \
    "${torch_runs[@]}" "extras=$results/extras.jsonl" | tee "$results/table.md"
echo >&2
echo "results in $results" >&2
