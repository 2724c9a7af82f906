#!/bin/bash
# The man pages and bash completion in the build are what script/gen-man.py
# makes from the binaries' --help and docs/ now (a stale page fails), every
# option and subcommand of every --help is in its page and its completion,
# groff renders the pages without warnings, and the completion completes.
#   man_check.sh BUILD_DIR TOOL...
set -u
build=$1; shift
src=${KW_SRC:?}; bin=${KW_BIN:?}
# A cross build runs the binaries through its emulator (qemu-user).
run=${KW_EMULATOR:-}
fail=0
bad() { echo "FAIL: $*"; fail=1; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
ver=$(sed -n 's/^project(kwarden VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
python3 "$src/script/gen-man.py" --bin "$bin" --docs "$src/docs" --version "$ver" --man "$t/man" \
	--completion "$t/completion" --emulator "${run// /;}" "$@" || { echo "FAIL: gen-man.py failed"; exit 1; }
if ! diff -r "$t/man" "$build/man" >"$t/diff" || ! diff -r "$t/completion" "$build/completion" >>"$t/diff"; then
	bad "the built man pages or completion differ from --help and docs/ now (rebuild: cmake --build):"
	head -20 "$t/diff"
fi
for tool in "$@"; do
	page=$t/man/man8/$tool.8 comp=$t/completion/$tool
	subs=$($run "$bin/$tool" --help | awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
	for sub in "" $subs; do
		# shellcheck disable=SC2086
		opts=$($run "$bin/$tool" $sub --help | awk '/^Options:/ { on = 1; next } on && /^$/ { exit }
			on && /^  -/ { split($1, n, ","); for (i in n) print n[i] }')
		[ -n "$opts" ] || bad "$tool $sub --help lists no options (help format changed?)"
		for o in $opts; do
			pat="\\fB${o//-/\\-}\\fR"
			grep -qF -- "$pat" "$page" || bad "$tool.8 does not document $tool $sub $o"
			grep -qw -- "$o" "$comp" || bad "completion for $tool does not offer $tool $sub $o"
		done
		[ -z "$sub" ] || grep -qxF ".SS ${tool//-/\\-} ${sub//-/\\-}" "$page" || bad "$tool.8 has no section for '$tool $sub'"
	done
	# The completion itself: options, subcommands, and an option's values.
	out=$(bash -c '. "$1"; COMP_WORDS=("$2" --); COMP_CWORD=1; _kwarden_${2//-/_}; echo "${COMPREPLY[*]}"' _ "$comp" "$tool")
	grep -qw -- --help <<<"$out" || bad "completing '$tool --' offers '$out', not --help"
	for sub in $subs; do
		out=$(bash -c '. "$1"; COMP_WORDS=("$2" "${3:0:2}"); COMP_CWORD=1; _kwarden_${2//-/_}; echo "${COMPREPLY[*]}"' _ "$comp" "$tool" "$sub")
		grep -qw -- "$sub" <<<"$out" || bad "completing '$tool ${sub:0:2}' offers '$out', not $sub"
	done
	if $run "$bin/$tool" --help | grep -q -- '--output TEXT:{text,json,journal}'; then
		out=$(bash -c '. "$1"; COMP_WORDS=("$2" --output ""); COMP_CWORD=2; _kwarden_${2//-/_}; echo "${COMPREPLY[*]}"' _ "$comp" "$tool")
		[ "$out" = "text json journal" ] || bad "completing '$tool --output ' offers '$out'"
	fi
done
if command -v groff >/dev/null; then
	for p in "$t"/man/man*/*; do
		w=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
		[ -z "$w" ] || bad "groff warns about $(basename "$p"): $(head -3 <<<"$w")"
	done
else
	echo "note: groff missing; rendering not checked"
fi
[ $fail = 0 ] && echo "ok: $# man pages, kwarden-rules(5) and completions match --help and docs/"
exit $fail
