#!/usr/bin/env bash
# Installs the build dependencies that are missing (Debian/Ubuntu), then configures and builds
# into build/. A second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(
    cmake g++ ninja-build
    qt6-base-dev qt6-svg-dev
    libeigen3-dev nlohmann-json3-dev libzip-dev libyaml-cpp-dev libsentencepiece-dev libicu-dev pkg-config
    fonts-dejavu-core xvfb xauth
    poppler-utils # pdftotext: tests/ui/tst_walkthroughexport reads the walkthrough PDF's text
    clang libclang-rt-14-dev # the libFuzzer targets in fuzz/, run by scripts/test.sh
    help2man # the man page attnviz(1), made by the build
    # checking the installation and the .deb (tests/install/)
    desktop-file-utils appstream groff-base man-db bsdextrautils shared-mime-info dpkg-dev file
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} > 0)); then
    echo "setup: installing ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
        if command -v sudo >/dev/null; then
            sudo=(sudo)
        else
            echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [[ ! -f build/CMakeCache.txt ]]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j2
