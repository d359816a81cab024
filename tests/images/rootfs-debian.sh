#!/bin/bash
# rootfs-debian.sh: builds (once) a Debian bookworm tree that boots systemd as a container's
# PID 1 to multi-user.target with a getty on the console, and prints its directory.
#
# TEST IMAGE ONLY: root's password is "virt-lite" so that tests can log in on the console.
# debootstrap (minbase + systemd) from the mirror this machine's apt already uses; cached under
# ${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}/rootfs-debian/<key>/rootfs, the key
# being the versions of debootstrap and systemd and this script. Exit 77: cannot be built here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOTFS_NAME=rootfs-debian
# shellcheck source=rootfs-common.sh
. "$here/rootfs-common.sh"
suite=bookworm
include=systemd,systemd-sysv,dbus,passwd,iproute2,procps,iputils-ping

[ "$(id -u)" = 0 ] || rootfs_skip "debootstrap needs root"
command -v debootstrap >/dev/null ||
  rootfs_skip "debootstrap is not installed (apt-get install debootstrap)"

# The mirror apt uses here: the URIs of the deb822 stanza (or one-line entry) for $suite.
mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$suite" '
      /^$/ { if (uri && suites ~ "(^| )" s "( |$)") { print uri; exit } uri=""; suites="" }
      /^URIs:/ { uri=$2 } /^Suites:/ { $1=""; suites=$0 }
      END { if (uri && suites ~ "(^| )" s "( |$)") print uri }' "$f"
  done | head -n1
  { grep -hE "^deb [^ ]+ $suite " /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      2>/dev/null || true; } | awk '{print $2}' | head -n1
}
url=$(mirror | head -n1)
[ -n "$url" ] || rootfs_skip "no apt source for $suite on this machine"

systemd_version=$(apt-cache policy systemd 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
[ -n "$systemd_version" ] && [ "$systemd_version" != "(none)" ] ||
  rootfs_skip "apt knows no systemd"

build() {
  local tmp=$1 r=$1/rootfs keyring=()
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
    keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  rootfs_log "debootstrap $suite from $url"
  debootstrap --variant=minbase --include="$include" "${keyring[@]}" "$suite" "$r" "$url" \
    >"$tmp/debootstrap.log" 2>&1 ||
    { tail -20 "$tmp/debootstrap.log" >&2; rootfs_skip "debootstrap failed"; }
  echo "root:virt-lite" | chroot "$r" chpasswd
  # A machine id per boot (systemd derives it from container_uuid), not one baked in here.
  : >"$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id"
  # No /etc/hostname: systemd then keeps the hostname the launcher set (the domain's name).
  rm -f "$r/etc/hostname"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
}

key=$( { echo "$suite $url $include"; dpkg-query -W -f='${Version}' debootstrap;
         echo "systemd $systemd_version"; cat "$0" "$here/rootfs-common.sh"; } |
       sha256sum | cut -c1-16)
rootfs_cached "$key" build
