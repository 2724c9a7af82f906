#!/bin/bash
# make deb: the Debian package of kwarden, built with dpkg-deb from what
# `make install` installs (binaries in /usr/sbin, units, example rules as
# conffiles, journald catalog, man pages, completion, docs). Depends from
# dpkg-shlibdeps. Installing does not start or enable anything.
#   packaging/mkdeb.sh BUILD_DIR   -> BUILD_DIR/kwarden_<version>_<arch>.deb
set -euo pipefail
build=$(cd "${1:?usage: packaging/mkdeb.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
for c in dpkg-deb dpkg-shlibdeps; do
	command -v $c >/dev/null || { echo "mkdeb: $c is missing: apt-get install dpkg-dev (script/deps.sh)" >&2; exit 1; }
done
version=$(sed -n 's/^project(kwarden VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
arch=$(dpkg --print-architecture)
work=$(mktemp -d "$build/deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
DESTDIR=$root cmake --install "$build" --prefix /usr --strip >/dev/null

# Debian's layout: compressed man pages, the docs under the package's name.
find "$root/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
install -d "$root/usr/share/doc/kwarden"
printf 'kwarden %s\n\nBuilt from the kwarden source tree; see README.md there for its origin and license.\n' \
	"$version" > "$root/usr/share/doc/kwarden/copyright"
[ -d "$root/etc/kwarden" ] || { echo "mkdeb: make install put no rules in /etc/kwarden" >&2; exit 1; }
# The drop-in directories ship empty (not conffiles: what is in them is the operator's).
for t in frtp rm-forbid net-filter; do
	[ -d "$root/etc/kwarden/$t.d" ] || { echo "mkdeb: make install made no /etc/kwarden/$t.d" >&2; exit 1; }
done

# Depends: what the binaries link (libbpf is linked statically), plus systemd.
mkdir -p "$work/shl/debian"
printf 'Source: kwarden\n\nPackage: kwarden\nArchitecture: any\n' > "$work/shl/debian/control"
shlibs=$(cd "$work/shl" && dpkg-shlibdeps -O "$root"/usr/sbin/* 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: kwarden
Version: $version
Architecture: $arch
Maintainer: kwarden developers <kwarden@localhost>
Installed-Size: $size
Depends: $shlibs, systemd
Recommends: man-db, bash-completion
Suggests: systemd-journal-remote
Section: admin
Priority: optional
Homepage: file:///usr/share/doc/kwarden/
Description: file and network access policy enforced with eBPF, audited to journald
 kwarden enforces file access policy (frtp), refuses to delete files in
 use (rm-forbid) and filters packets (net-filter) inside the kernel with
 BPF LSM and netfilter programs, and traces file operations (trace-file)
 and execs (trace-exec). Every decision is audited to journald with a
 catalog entry; kwarden-audit reports and shows what is enforcing.
 .
 Installing the package starts nothing: enable the kwarden-<tool> units
 after reviewing the example rules in /etc/kwarden/.
CONTROL
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 755 "$src/packaging/deb/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
	> "$root/DEBIAN/md5sums"
out=$build/kwarden_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
