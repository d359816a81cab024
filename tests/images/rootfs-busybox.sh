#!/bin/bash
# rootfs-busybox.sh: builds (once) the busybox test container root and prints its directory.
# busybox-static plus tests/ns/ct-init.c as /sbin/init; cached under
# ${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}/rootfs-busybox/<key>/rootfs, the key
# being the busybox version, this script and the init's source. Exit 77: cannot be built here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}/rootfs-busybox
init_src=$here/../ns/ct-init.c

log() { echo "rootfs-busybox: $*" >&2; }
skip() { log "skip: $*"; exit 77; }

command -v cc >/dev/null || skip "no C compiler for the static init"
bb_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || true)
if [ -z "$bb_version" ]; then
  bb_version=$(apt-cache policy busybox-static 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$bb_version" ] && [ "$bb_version" != "(none)" ] || skip "busybox-static is unknown to apt"
fi
key=$( { echo "busybox-static $bb_version"; cc --version | head -1; cat "$0" "$init_src"; } |
       sha256sum | cut -c1-16)
out=$cache/$key
if [ -d "$out/rootfs" ]; then
  echo "$out/rootfs"
  exit 0
fi

mkdir -p "$cache"
exec {lock}>"$cache/.lock"
flock -w 600 "$lock" || skip "timed out waiting for $cache/.lock"
if [ -d "$out/rootfs" ]; then
  echo "$out/rootfs"
  exit 0
fi
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "building $key"

if dpkg-query -W busybox-static >/dev/null 2>&1; then
  busybox=/bin/busybox
else
  (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "busybox-static=$bb_version" >&2) ||
    skip "cannot download busybox-static"
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/deb"
  busybox=$tmp/deb/bin/busybox
fi

r=$tmp/rootfs
mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,var/log,shared,usr/bin,usr/sbin}
chmod 1777 "$r/tmp"
cp "$busybox" "$r/bin/busybox"
for applet in $("$r/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$r/bin/$applet"
done
cc -static -O2 -Wall -o "$r/sbin/init" "$init_src"
cat >"$r/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$r/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo "127.0.0.1 localhost" >"$r/etc/hosts"

mkdir -p "$out"
mv "$r" "$out/rootfs"
echo "$out/rootfs"
