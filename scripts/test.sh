#!/usr/bin/env bash
# Builds (if needed) and runs every test; exits non-zero if any fails.
# Pass ctest arguments to narrow it down, e.g.  ./scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
QT_QPA_PLATFORM=offscreen ctest --test-dir build --output-on-failure -j2 "$@"
