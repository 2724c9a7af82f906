#!/bin/bash
# frtp on the host: the host kernel refuses BPF LSM, so frtp must say so (exit
# 4, naming the lsm= boot parameter); --check and explain need no kernel.
# Enforcement itself is tested in the VM (test/vm/suites/frtp.sh).
set -u
. "$(dirname "$0")/../lib.sh"
F=$KW_BIN/frtp
[ -x "$F" ] || { kw_fail "$F not built"; kw_done; }
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
echo s > "$d/secret"
cat > "$d/p.yaml" <<Y
rules:
  - name: secret
    objects: [$d/secret]
    operations: [read]
    action: deny
    except: {uid: 0, exe: /usr/bin/cat}
Y
kw_check "--check accepts a valid policy" "$F" --check --rules "$d/p.yaml"
printf 'rules:\n  - name: x\n    objects: [/x]\n    operations: [raed]\n    action: deny\n' > "$d/bad.yaml"
out=$("$F" --check --rules "$d/bad.yaml" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "bad.yaml:4:18: unknown operation 'raed'" <<<"$out" && grep -q "did you mean 'read'" <<<"$out" &&
	kw_pass "--check: exit 3 with file:line:column and a hint" || kw_fail "--check on a bad policy: rc=$rc $out"
out=$("$F" explain --rules "$d/p.yaml" --uid 1000 --exe /usr/bin/cat --op read --path "$d/secret")
grep -q "decision: deny by rule 'secret'" <<<"$out" && kw_pass "explain: uid 1000 cat is denied" || kw_fail "explain: $out"
out=$("$F" explain --rules "$d/p.yaml" --uid 0 --exe /usr/bin/cat --op read --path "$d/secret")
grep -q "excepted" <<<"$out" && grep -q "decision: allow" <<<"$out" && kw_pass "explain: root cat is excepted" || kw_fail "explain: $out"
out=$(timeout 60 "$F" --rules "$d/p.yaml" 2>&1); rc=$?
if [ $rc -eq 4 ]; then
	grep -q "lsm=" <<<"$out" && kw_pass "no BPF LSM: exit 4 naming lsm= ($out)" || kw_fail "exit 4 without lsm=: $out"
elif [ $rc -eq 124 ] || [ $rc -eq 0 ]; then
	echo "note: this kernel runs BPF LSM programs; enforcement is covered by the VM suite"
else
	kw_fail "frtp on the host: rc=$rc $out"
fi
kw_done
