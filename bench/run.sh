#!/bin/sh
# make bench [BENCH=name]: runs bench/<name>.sh, or every benchmark.
set -eu
cd "$(dirname "$0")"
if [ $# -gt 0 ] && [ -n "$1" ]; then
	exec "./$1.sh"
fi
rc=0
for b in ./*.sh; do
	[ "$b" = ./run.sh ] && continue
	echo "=== $b"
	"$b" || rc=1
done
exit $rc
