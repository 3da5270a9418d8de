#!/usr/bin/env bash
# Builds (if needed) and starts attnviz on the sample model. Extra arguments go to attnviz.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

model=sample_models/eng-fra-bahdanau.safetensors
if [[ ! -f $model ]]; then
    echo "run: $model not found, opening the synthetic dates model instead" >&2
    model=sample_models/dates.safetensors
fi

if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} && -z ${QT_QPA_PLATFORM:-} ]]; then
    echo "run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set)." >&2
    echo "run: start it under a virtual X server instead:  xvfb-run -a ./scripts/run.sh" >&2
    exit 1
fi

exec build/bin/attnviz --model "$model" "$@"
