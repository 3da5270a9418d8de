#!/usr/bin/env bash
# Builds the .deb with CPack and checks its file list and its dependencies, which
# dpkg-shlibdeps computed from the binaries; then unpacks it and runs both programs from it (#21).
#     check_package.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" > "$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$work"/attnviz_"$version"*_*.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || fail "no attnviz_${version}_*.deb in $(ls "$work")"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$work/files.txt"
for file in /usr/bin/attnviz /usr/bin/attnviz-cli /usr/share/applications/org.attnviz.attnviz.desktop \
    /usr/share/metainfo/org.attnviz.attnviz.metainfo.xml /usr/share/mime/packages/org.attnviz.attnviz.xml \
    /usr/share/man/man1/attnviz.1 /usr/share/man/man1/attnviz-cli.1 \
    /usr/share/bash-completion/completions/attnviz-cli /usr/share/doc/attnviz/copyright \
    /usr/share/attnviz/sample_models/dates.safetensors; do
    grep -qx -- "$file" "$work/files.txt" || fail "the package lacks $file"
done
grep -q '/attnviz/attnviz-cli-figures.so$' "$work/files.txt" || fail "the package lacks the figure module"
if grep -q '^/usr/local\|/build/\|\.a$' "$work/files.txt"; then fail "stray files in the package"; fi
[[ $(dpkg-deb -f "$deb" Package) == attnviz ]] || fail "Package"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version"
depends=$(dpkg-deb -f "$deb" Depends)
for library in libc6 libstdc++6 libqt6core6 libqt6gui6 libqt6widgets6 libqt6svg6 libzip4; do
    grep -q "$library" <<<"$depends" || fail "Depends lacks $library: $depends"
done
grep -q "(>= " <<<"$depends" || fail "Depends has no versions (not computed by dpkg-shlibdeps?): $depends"
dpkg-deb -x "$deb" "$work/root"
sample=$work/root/usr/share/attnviz/sample_models/dates.safetensors
[[ $("$work/root/usr/bin/attnviz-cli" translate --model "$sample" "march 3 2011") \
    == $("$build/bin/attnviz-cli" translate --model "$sample" "march 3 2011") ]] || fail "the packaged attnviz-cli"
QT_QPA_PLATFORM=offscreen "$work/root/usr/bin/attnviz" --model "$sample" --screenshot "$work/window.png" \
    || fail "the packaged attnviz"
echo "$(basename "$deb"): Depends: $depends"
