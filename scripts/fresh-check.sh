#!/bin/bash
# fresh-check.sh: the README's two commands on a Debian 12 that has nothing installed by
# hand, as a new user would run them: a debootstrap minbase root (cached), a clone of this
# checkout's HEAD, setup.sh twice (idempotence), then test.sh. Root; not part of the tests.
#
# Usage: scripts/fresh-check.sh [--keep] [WORKDIR]      (default WORKDIR /var/tmp/virt-lite-fresh)
#   --keep   leave the root for inspection (enter it again with: scripts/fresh-check.sh --enter)
#
# The root is entered in a private mount namespace with pivot_root, not chroot: the kernel
# refuses user namespaces (the idmap tests) to a chrooted process. /run is a new tmpfs with
# /run/lock, as on a booted machine. Stop this host's own demo domains first: a container's
# cgroup is /machine/NAME.lite on the host, whichever virtlited starts it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
keep=0
enter=0
while [ $# -gt 0 ]; do
  case $1 in
    --keep) keep=1 ;;
    --enter) enter=1 ;;
    -h|--help) sed -n '2,/^set/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) break ;;
  esac
  shift
done
work=${1:-/var/tmp/virt-lite-fresh}
root=$work/root
pristine=$work/pristine.tar

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# run_in_root CMD: CMD in the root, with /proc, /sys, /dev of the host and its own /run.
run_in_root() {
  unshare --mount --propagation private bash -c '
    set -e
    r=$1; shift
    mount --bind "$r" "$r"
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/run"
    mkdir -p "$r/run/lock"
    mount -t tmpfs tmpfs "$r/tmp"
    cd "$r"
    mkdir -p .oldroot
    pivot_root . .oldroot
    exec /bin/bash -c "umount -l /.oldroot; export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root; cd /root/virt-lite && $1"
  ' - "$root" "$1"
}

# Whatever the root's virtlited started must not outlive the check. Its processes share the
# host's pid namespace, so they are told apart by their mount namespace, recorded in NSFILE.
stop_root_processes() {
  local nsfile=$root/root/fresh-ns p
  [ -f "$nsfile" ] || return 0
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$(cat "$nsfile")" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  return 0
}

if [ "$enter" = 1 ]; then
  run_in_root "exec bash -i"
  exit
fi
[ "$(id -u)" -eq 0 ] || { echo "fresh-check.sh: run as root" >&2; exit 1; }
mkdir -p "$work"
if [ ! -f "$pristine" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
  log "debootstrap bookworm (minbase) into a pristine tarball"
  rm -rf "$work/boot"
  # The mirror this machine already uses.
  mirror=$(cat /etc/apt/sources.list.d/debian.sources 2>/dev/null | sed -n 's/^URIs: *//p' |
           head -1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
                               /etc/apt/sources.list 2>/dev/null | head -1)
  debootstrap --variant=minbase bookworm "$work/boot" ${mirror:+"$mirror"} >"$work/debootstrap.log"
  tar -C "$work/boot" -cf "$pristine.tmp" .
  mv "$pristine.tmp" "$pristine"
  rm -rf "$work/boot"
fi
stop_root_processes
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$pristine"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q "$top" "$root/root/virt-lite"
trap 'stop_root_processes; [ "$keep" = 1 ] || rm -rf "$root"' EXIT

# The demo's names are the host's too (and so are a container's cgroups).
for name in ct-busybox vm-test-guest; do
  if virsh -q -c lite:///system domstate "$name" 2>/dev/null | grep -qv "shut off"; then
    echo "fresh-check.sh: stop this host's $name first (virsh -c lite:///system destroy $name)" >&2
    exit 1
  fi
done

# One session for the three steps, as on one machine: setup's second run meets the first
# one's daemon and demo domains (/run persists between them); the demo domains are taken
# down at the end, since the daemon that would reap them goes with the check.
rm -f "$work"/*.log.txt
steps='readlink /proc/self/ns/mnt > /root/fresh-ns
  rc=0
  for step in setup-1 setup-2 test; do
    echo "$step" > /root/fresh-step
    bash scripts/${step%-*}.sh > /root/fresh-$step.log.txt 2>&1 || { rc=1; break; }
  done
  for d in $(virsh -c lite:///system list --name 2>/dev/null); do
    virsh -c lite:///system destroy "$d" >/dev/null 2>&1
  done
  exit $rc'
log "setup.sh, setup.sh again, test.sh in the fresh root (logs: $work/*.log.txt)"
rc=0
run_in_root "$steps" || rc=1
cp "$root"/root/fresh-*.log.txt "$work"/ 2>/dev/null || true
if [ "$rc" != 0 ]; then
  step=$(cat "$root/root/fresh-step" 2>/dev/null || echo "entering the root")
  log "$step failed; the end of its log:"
  tail -40 "$work/fresh-$step.log.txt" >&2 || true
fi
[ "$rc" = 0 ] && log "fresh machine: setup twice and the whole test suite passed"
exit $rc
