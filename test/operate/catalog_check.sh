#!/bin/bash
# Every MESSAGE_ID the sources write has a journald catalog entry, every entry
# belongs to a MESSAGE_ID still in the sources, and journalctl parses the file.
# A new MESSAGE_ID without an entry fails here.
set -u
src=${KW_SRC:?KW_SRC is the source tree}
cat=$src/catalog/kwarden.catalog
fail=0
# MESSAGE_IDs are 32 lower-case hex digits in a C string literal.
used=$(grep -rhoE '"[0-9a-f]{32}"' --include='*.cpp' --include='*.h' --include='*.c' \
	"$src/bpf" "$src/filter" "$src/policy" "$src/observe" | tr -d '"' | sort -u)
have=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$cat" | sort)
[ -n "$used" ] || { echo "FAIL: found no MESSAGE_ID in the sources (pattern broken?)"; exit 1; }
for id in $used; do
	if ! grep -qx "$id" <<<"$have"; then
		where=$(grep -rlE "\"$id\"" "$src/bpf" "$src/filter" "$src/policy" "$src/observe" | sed "s|^$src/||" | head -1)
		echo "FAIL: MESSAGE_ID $id ($where) has no entry in catalog/kwarden.catalog: add '-- $id' with Subject and text"
		fail=1
	fi
done
for id in $have; do
	grep -qx "$id" <<<"$used" || { echo "FAIL: catalog entry $id matches no MESSAGE_ID in the sources: remove it"; fail=1; }
done
dups=$(uniq -d <<<"$have")
[ -z "$dups" ] || { echo "FAIL: duplicate catalog entries: $dups"; fail=1; }
# Each entry has a Subject, a Defined-By and names the way to act on it.
awk '/^-- [0-9a-f]{32}$/ { id = $2; subj[id] = 0 } /^Subject: / { subj[id] = 1 }
     END { for (i in subj) if (!subj[i]) { print "FAIL: entry " i " has no Subject:"; bad = 1 } exit bad }' "$cat" || fail=1
if command -v journalctl >/dev/null; then
	t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
	mkdir -p "$t/usr/lib/systemd/catalog"
	cp "$cat" "$t/usr/lib/systemd/catalog/"
	if ! journalctl --root="$t" --update-catalog 2>"$t/err"; then
		echo "FAIL: journalctl --update-catalog rejects the catalog:"; cat "$t/err"; fail=1
	else
		n=$(journalctl --root="$t" --list-catalog 2>/dev/null | grep -c '^[0-9a-f]\{32\} kwarden: ')
		m=$(wc -w <<<"$have")
		[ "$n" = "$m" ] || { echo "FAIL: journalctl lists $n kwarden entries, the file has $m"; fail=1; }
	fi
else
	echo "note: journalctl missing; parse check not run"
fi
[ $fail = 0 ] && echo "ok: $(wc -w <<<"$used") MESSAGE_IDs, each with a catalog entry"
exit $fail
