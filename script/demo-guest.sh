#!/bin/bash
# The demo itself, run as root on a machine with the toolkit installed (the
# VM, or the host when its kernel allows): start each installed tool's unit
# with its example policy from /etc/kwarden/, provoke it, show journalctl.
set -u
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
have() { command -v "$1" >/dev/null && [ -e "/etc/kwarden/$1.yaml" ]; }
show() { journalctl -t "$1" --since "@$START" --no-pager -o "${2:-short}" | tail -n "${3:-15}"; }
START=$(date +%s)

say "trace-exec: every exec with its ancestry, to journald"
systemctl start kwarden-trace-exec
bash -c "sh -c 'id -un; :' >/dev/null; :"
/usr/bin/no-such-program 2>/dev/null
sleep 2
show trace-exec short 6
echo "-- one record as journald stores it:"
journalctl -t trace-exec --since "@$START" -o json-pretty --no-pager MESSAGE_ID=6b1d0c9e4f3a4e57a0f2c4d8e1b7a902 | head -40

if have frtp; then
	say "frtp: file access policy (example: /etc/kwarden/frtp.yaml)"
	systemctl start kwarden-frtp
	echo "\$ cat /etc/shadow        (root, but cat is not one of the allowed executables)"
	cat /etc/shadow 2>&1 | head -2
	echo "\$ ln -s /etc/shadow /tmp/s; cat /tmp/s        (a symlink is the same file)"
	ln -sf /etc/shadow /tmp/s; cat /tmp/s 2>&1 | head -2
	cp /bin/true /tmp/kwdemo
	echo "\$ /tmp/kwdemo        (no exec from /tmp)"
	/tmp/kwdemo 2>&1 | head -2
	sleep 2
	show frtp
	systemctl stop kwarden-frtp
fi

if have rm-forbid; then
	say "rm-forbid: no deleting files in use"
	systemctl start kwarden-rm-forbid && sleep 1
	echo data >/tmp/kwdemo.db
	sleep 30 </tmp/kwdemo.db &
	holder=$!
	sleep 0.5
	echo "\$ rm /tmp/kwdemo.db   (held open by sleep[$holder])"
	rm -f /tmp/kwdemo.db 2>&1 || true
	sleep 1 # rm-forbid names holders from /proc when it writes the record
	kill $holder; wait $holder 2>/dev/null
	echo "\$ rm /tmp/kwdemo.db   (holder gone)"
	rm -f /tmp/kwdemo.db && echo removed
	sleep 2
	show rm-forbid
	systemctl stop kwarden-rm-forbid
fi

if have net-filter; then
	say "net-filter: packet filter with per-rule counters"
	systemctl start kwarden-net-filter
	echo "\$ nc -z -w1 127.0.0.1 23        (rule legacy-remote-shells drops telnet)"
	timeout 3 nc -z -w1 127.0.0.1 23 2>&1 || echo "(no connection)"
	echo "\$ setpriv --reuid=nobody nc -z -w1 127.0.0.1 25        (rule nobody-no-smtp)"
	timeout 3 setpriv --reuid=65534 --regid=65534 --clear-groups nc -z -w1 127.0.0.1 25 2>&1 || echo "(refused)"
	sleep 2
	echo "\$ net-filter stats"
	net-filter stats 2>&1 | head -12
	show net-filter
	systemctl stop kwarden-net-filter
fi

if have trace-file; then
	say "trace-file: file operations with full paths"
	systemctl start kwarden-trace-file && sleep 1
	cat /etc/hostname >/dev/null
	sleep 2
	show trace-file short 8
	systemctl stop kwarden-trace-file
fi
systemctl stop kwarden-trace-exec
if command -v kwarden-audit >/dev/null; then
	say "kwarden-audit: what kwarden denied, refused and dropped during this demo"
	journalctl --sync 2>/dev/null
	kwarden-audit report --since "@$START" --by rule,exe,object
	echo "(journalctl -x explains any of these records: the journald catalog)"
fi
say "done: review any of it with journalctl -t <tool> (-o json for the fields), or kwarden-audit report"
