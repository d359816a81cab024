#!/bin/bash
# rootfs-busybox.sh: builds (once) the busybox test container root and prints its directory.
# busybox-static plus tests/ns/ct-init.c as /sbin/init; cached under
# ${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}/rootfs-busybox/<key>/rootfs, the key
# being the busybox version, the compiler, this script and the init's source. Exit 77: cannot
# be built here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOTFS_NAME=rootfs-busybox
# shellcheck source=rootfs-common.sh
. "$here/rootfs-common.sh"
init_src=$here/../ns/ct-init.c

command -v cc >/dev/null || rootfs_skip "no C compiler for the static init"
bb_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || true)
if [ -z "$bb_version" ]; then
  bb_version=$(apt-cache policy busybox-static 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$bb_version" ] && [ "$bb_version" != "(none)" ] ||
    rootfs_skip "busybox-static is unknown to apt"
fi

build() {
  local tmp=$1 busybox=/bin/busybox r=$1/rootfs applet
  if ! dpkg-query -W busybox-static >/dev/null 2>&1; then
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root \
       "busybox-static=$bb_version" >&2) || rootfs_skip "cannot download busybox-static"
    dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/deb"
    busybox=$tmp/deb/bin/busybox
  fi
  mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,var/log,shared,usr/bin,usr/sbin}
  chmod 1777 "$r/tmp"
  cp "$busybox" "$r/bin/busybox"
  for applet in $("$r/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$r/bin/$applet"
  done
  cc -static -O2 -Wall -o "$r/sbin/init" "$init_src"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$r/etc/passwd"
  printf '%s\n' 'root:x:0:' 'tty:x:5:' 'nogroup:x:65534:' >"$r/etc/group"
  echo "127.0.0.1 localhost" >"$r/etc/hosts"
}

key=$( { echo "busybox-static $bb_version"; cc --version | head -1;
         cat "$0" "$here/rootfs-common.sh" "$init_src"; } | sha256sum | cut -c1-16)
rootfs_cached "$key" build
