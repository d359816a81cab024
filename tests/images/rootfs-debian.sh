#!/bin/bash
# rootfs-debian.sh: builds (once) a Debian bookworm tree that boots systemd as a container's
# PID 1 to multi-user.target with a getty on the console, and prints its directory.
#
# TEST IMAGE ONLY: root's password is "virt-lite" so that tests can log in on the console.
# debootstrap (minbase + systemd) from the mirror this machine's apt already uses; cached under
# ${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}/rootfs-debian/<key>/rootfs, the key
# being the versions of debootstrap and systemd and this script. Exit 77: cannot be built here.
set -euo pipefail

cache=${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}/rootfs-debian
suite=bookworm
include=systemd,systemd-sysv,dbus,passwd,iproute2,procps,iputils-ping

log() { echo "rootfs-debian: $*" >&2; }
skip() { log "skip: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "debootstrap needs root"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"

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
[ -n "$url" ] || skip "no apt source for $suite on this machine"

version_of() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}'; }
systemd_version=$(version_of systemd)
[ -n "$systemd_version" ] && [ "$systemd_version" != "(none)" ] || skip "apt knows no systemd"
key=$( { echo "$suite $url $include"; dpkg-query -W -f='${Version}' debootstrap;
         echo "systemd $systemd_version"; cat "$0"; } | sha256sum | cut -c1-16)
out=$cache/$key
if [ -d "$out/rootfs" ]; then
  echo "$out/rootfs"
  exit 0
fi

mkdir -p "$cache"
exec {lock}>"$cache/.lock"
flock -w 1800 "$lock" || skip "timed out waiting for $cache/.lock"
if [ -d "$out/rootfs" ]; then
  echo "$out/rootfs"
  exit 0
fi
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/rootfs
log "building $key from $url"

keyring=()
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
  keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
debootstrap --variant=minbase --include="$include" "${keyring[@]}" "$suite" "$r" "$url" \
  >"$tmp/debootstrap.log" 2>&1 || { tail -20 "$tmp/debootstrap.log" >&2; skip "debootstrap failed"; }

echo "root:virt-lite" | chroot "$r" chpasswd
# A machine id per boot (systemd derives it from container_uuid), not one baked in here.
: >"$r/etc/machine-id"
rm -f "$r/var/lib/dbus/machine-id"
# No /etc/hostname: systemd then keeps the hostname the launcher set (the domain's name).
rm -f "$r/etc/hostname"
# apt's cleanup in the image, not in every container boot.
rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*

mkdir -p "$out"
mv "$r" "$out/rootfs"
echo "$out/rootfs"
