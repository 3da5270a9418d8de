#!/usr/bin/env bash
# Installs the build into a temporary prefix, moves the prefix, and checks what a desktop and a
# packager expect of it (#21): the validators pass on the installed desktop entry and AppStream
# file, the man pages render and document every command and option that --help shows, the bash
# completion knows them too, the MIME rule matches the sample models, and both programs run from
# the moved prefix on the installed sample model.
#     check_install.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
app_id=org.attnviz.attnviz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/first" > "$work/install.log"
mv "$work/first" "$work/moved"
prefix=$work/moved
share=$prefix/share
for file in bin/attnviz bin/attnviz-cli share/applications/$app_id.desktop \
    share/metainfo/$app_id.metainfo.xml share/mime/packages/$app_id.xml \
    share/icons/hicolor/scalable/apps/$app_id.svg share/icons/hicolor/16x16/apps/$app_id.png \
    share/icons/hicolor/256x256/apps/$app_id.png share/man/man1/attnviz.1 share/man/man1/attnviz-cli.1 \
    share/bash-completion/completions/attnviz-cli share/doc/attnviz/LICENSE share/doc/attnviz/DATA.md \
    share/doc/attnviz/gui.md share/attnviz/sample_models/dates.safetensors share/attnviz/sample_models/dates.md; do
    [[ -f $prefix/$file ]] || fail "not installed: $file"
done

desktop-file-validate "$share/applications/$app_id.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$share/metainfo/$app_id.metainfo.xml" || fail "appstreamcli validate"
grep -q "<release version=\"$version\"" "$share/metainfo/$app_id.metainfo.xml" || fail "AppStream release is not $version"

# The man pages render without groff warnings, and attnviz-cli(1) has every command and option.
cli=$prefix/bin/attnviz-cli
for page in attnviz attnviz-cli; do
    warnings=$(groff -man -Tutf8 -ww -z "$share/man/man1/$page.1" 2>&1)
    [[ -z $warnings ]] || fail "$page.1: $warnings"
    MANWIDTH=100 man -l "$share/man/man1/$page.1" 2>/dev/null | col -b > "$work/$page.txt"
    grep -q "^NAME" "$work/$page.txt" || fail "$page.1 has no NAME section"
done
grep -q -- "--screenshot\|--model" "$work/attnviz.txt" || fail "attnviz.1 lacks the window's options"
completion=$share/bash-completion/completions/attnviz-cli
bash -n "$completion" || fail "the completion script is not valid bash"
commands=$("$cli" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[[ -n $commands ]] || fail "no commands in attnviz-cli --help"
for command in $commands; do
    grep -q "^ *$command)" "$completion" || fail "completion lacks the command $command"
    grep -qE "^ *$command\$|^$command\$" "$work/attnviz-cli.txt" || fail "attnviz-cli.1 lacks the command $command"
    for option in $("$cli" "$command" --help | awk '$1 ~ /^--/ { print $1 }'); do
        grep -q -- "$option" "$work/attnviz-cli.txt" || fail "attnviz-cli.1 lacks $command $option"
        awk -v c="$command)" '$1 == c { on = 1 } on && /COMPREPLY/ { print; exit }' "$completion" | grep -q -- "$option" \
            || fail "completion lacks $command $option"
    done
done

# The MIME rule: update-mime-database accepts it, and its magic is what the models start with.
update-mime-database "$share/mime" > "$work/mime.log" 2>&1 || fail "update-mime-database"
grep -q "application/x-attnviz-model" "$share/mime/types" || fail "the MIME type is not registered"
magic=$(sed -n 's/.*value="\([^"]*\)".*/\1/p' "$share/mime/packages/$app_id.xml" | sed 's/&quot;/"/g')
offset=$(sed -n 's/.*offset="\([0-9]*\)".*/\1/p' "$share/mime/packages/$app_id.xml")
for model in "$share"/attnviz/sample_models/*.safetensors; do
    start=$(head -c $((offset + ${#magic})) "$model" | tail -c ${#magic})
    [[ $start == "$magic" ]] || fail "$(basename "$model") does not match the MIME magic"
done

# Both programs run from the moved prefix on the installed sample.
[[ $("$cli" --version) == "attnviz-cli $version" ]] || fail "attnviz-cli --version"
[[ $(QT_QPA_PLATFORM=offscreen "$prefix/bin/attnviz" --version) == "attnviz $version" ]] || fail "attnviz --version"
sample=$share/attnviz/sample_models/dates.safetensors
expected=$("$build/bin/attnviz-cli" translate --model "$sample" "march 3 2011")
[[ -n $expected && $("$cli" translate --model "$sample" "march 3 2011") == "$expected" ]] \
    || fail "the installed attnviz-cli translates differently"
echo "march 3 2011" > "$work/input.txt"
mkdir "$work/figures"
"$cli" export --model "$sample" --input "$work/input.txt" --out "$work/figures" --format png > /dev/null \
    || fail "the installed attnviz-cli cannot export (figure module not found?)"
[[ $(head -c 8 "$work/figures"/*.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "export wrote no PNG"
"$cli" walkthrough --model "$sample" --out "$work/walkthrough.gif" --steps 1 "march 3 2011" > /dev/null \
    || fail "the installed attnviz-cli cannot draw a walkthrough (figure module not found?)"
[[ $(head -c 6 "$work/walkthrough.gif") == GIF89a ]] || fail "walkthrough wrote no GIF"
QT_QPA_PLATFORM=offscreen "$prefix/bin/attnviz" --list-sample-models > "$work/samples.txt" || fail "attnviz --list-sample-models"
[[ $(head -n 1 "$work/samples.txt") == "$(cd "$share/attnviz/sample_models" && pwd -P)" ]] \
    || fail "the installed window does not find the installed sample models: $(head -n 1 "$work/samples.txt")"
grep -q "dates.safetensors" "$work/samples.txt" || fail "the sample models list lacks dates.safetensors"
QT_QPA_PLATFORM=offscreen "$prefix/bin/attnviz" --model "$sample" --sentence "march 3 2011" \
    --screenshot "$work/window.png" || fail "the installed attnviz cannot take a screenshot"
[[ $(stat -c %s "$work/window.png") -gt 10000 ]] || fail "the screenshot is too small to show the window"
echo "installed, moved and ran: OK"
