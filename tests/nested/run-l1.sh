#!/bin/bash
# run-l1.sh: boots Debian's generic kernel as a KVM-capable L1 under QEMU TCG, runs a payload in it, exits with its status.
#
# Usage: tests/nested/run-l1.sh [options] PAYLOAD_DIR [ARG...]
#   PAYLOAD_DIR is copied to /payload in L1 and /payload/run is run there by busybox sh with
#   ARG... (one line each, so no newlines in them), after kvm and kvm-amd are loaded.
#   --bin PATH       also copy host program PATH and its ldd closure, at their host paths
#   --file SRC:DEST  also copy host file SRC to DEST (absolute) in L1
#   --root DIR       also merge the tree DIR into L1's / (e.g. build.sh qemu-peer)
#   --out DIR        extract there what the payload wrote to $VIRT_LITE_OUT (/out)
#   --log FILE       keep the L1 console (CRs removed) in FILE
#   --timeout S      limit for one L1 run (default 600)
#   --idle S         a run whose console is silent that long is a hang (default 300)
#   --retries N      runs repeated after a hang or a lost L1 (default 1)
#   --quiet          do not stream the console
# Exit status: the payload's; 124 when every try hung; 77 when this host cannot run the tier
# (no qemu-system-x86 and no way to install it, or no Debian archive for the images).
#
# A hang is a run that hit --timeout or --idle, whose L1 reported a soft lockup, or whose
# payload exited 124 (its own timeout, e.g. an L2 boot that never reached its marker). Hangs
# happen here now and then (docs/testing.md), and so does an L1 that ends without reporting
# its payload's status (125; seen under heavy host load): either is tried again in a fresh
# L1. Any failure the payload itself reports is final.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../images/lib.sh"

# The L1 machine of the design note: -xsave because QEMU 7.2's TCG otherwise lets the L2's
# XSETBV bypass L1's KVM; 2 vCPUs and 2 GiB fit the host's 2 cores next to other work.
L1_MEM=2048
L1_SMP=2
# tsc=reliable: TCG's TSC follows host time, but under host load Linux's clocksource watchdog
# calls it unstable and falls back to jiffies, which lose ticks when L1 is starved: L1's clock
# (and every timeout and timing measured in L1) would then run slower than real time.
L1_CMDLINE="console=ttyS0 quiet loglevel=3 panic=-1 tsc=reliable"

timeout_s=600
idle_s=300
retries=1
quiet=0
out_dir=
log_file=
bins=()
files=()
roots=()
tmp=
qpid=
tpid=
lockup=0

usage() {
  sed -n '3,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

log() { echo "run-l1: $*" >&2; }

cleanup() {
  # Only what this run started: the timeout wrapper (it forwards the signal to its QEMU)
  # and the console streamer.
  [ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
  [ -n "$tpid" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
  [ -n "$tmp" ] && rm -rf "$tmp"
  return 0
}

# QEMU is the L1 machine itself: without it the tier cannot run; as root try Debian's package.
ensure_qemu() {
  command -v qemu-system-x86_64 >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing qemu-system-x86"
    apt-get install -y -qq qemu-system-x86 >&2 && return 0
  fi
  log "skip: qemu-system-x86_64 is not installed and cannot be"
  exit 77
}

# The payload as one cpio: /payload, its args, --bin closures, --file copies.
stage_payload() {
  local dir=$1 stage="$tmp/stage" a f
  shift
  mkdir -p "$stage/payload"
  cp -a "$dir/." "$stage/payload/"
  [ -f "$stage/payload/run" ] || { log "$dir has no 'run' script"; exit 2; }
  : >"$stage/payload/.args"
  for a in "$@"; do printf '%s\n' "$a" >>"$stage/payload/.args"; done
  for f in "${bins[@]}"; do copy_with_closure "$f" "$stage"; done
  for f in "${files[@]}"; do
    mkdir -p "$stage$(dirname "${f#*:}")"
    cp -L "${f%%:*}" "$stage${f#*:}"
  done
  make_cpio "$stage" "$tmp/payload.cpio"
}

# The kernel unpacks concatenated newc archives in order, so the cached l1.cpio stays as
# built and each run only appends its own part.
assemble_initrd() {
  local l1_cpio=$1 r n=0
  cat "$l1_cpio" "$tmp/payload.cpio" >"$tmp/initrd.cpio"
  for r in "${roots[@]}"; do
    make_cpio "$r" "$tmp/root$n.cpio"
    cat "$tmp/root$n.cpio" >>"$tmp/initrd.cpio"
    rm -f "$tmp/root$n.cpio"
    n=$((n + 1))
  done
}

# Returns when QEMU is gone, or stops it (lockup=1) when the L1 is stuck: its kernel reports a
# soft lockup, or its console has been silent for --idle seconds. Stuck L1s were seen after
# several L2 boots (soft lockups for 600 s; or silence, both L1 CPUs busy): they do not
# recover in useful time, so they count as a hang without waiting for --timeout.
watch_l1() {
  local raw=$1 size last_size=-1 last_change
  lockup=0
  last_change=$SECONDS
  while kill -0 "$qpid" 2>/dev/null; do
    size=$(stat -c %s "$raw")
    [ "$size" = "$last_size" ] || { last_size=$size; last_change=$SECONDS; }
    if grep -aq 'watchdog: BUG: soft lockup' "$raw"; then
      log "the L1 kernel reports a soft lockup: stopping this try"
      lockup=1
    elif [ $((SECONDS - last_change)) -ge "$idle_s" ]; then
      log "the L1 console has been silent for ${idle_s}s: stopping this try"
      lockup=1
    fi
    if [ "$lockup" = 1 ]; then
      kill "$qpid" 2>/dev/null
      return 0
    fi
    sleep 1
  done
}

# One L1 boot; sets run_status to the payload's status, 124 for a hang, 125 for an L1 that
# died without reporting one.
run_once() {
  local kernel=$1 raw="$tmp/console.raw" rc=0 line
  : >"$raw"
  rm -f "$tmp/out.tar"
  timeout -k 10 "$timeout_s" qemu-system-x86_64 \
    -accel tcg -cpu max,-xsave -m "$L1_MEM" -smp "$L1_SMP" \
    -nographic -no-reboot -no-user-config -nodefaults -monitor none \
    -serial stdio -serial "file:$tmp/out.tar" \
    -kernel "$kernel" -initrd "$tmp/initrd.cpio" -append "$L1_CMDLINE" \
    </dev/null >"$raw" 2>"$tmp/qemu.err" &
  qpid=$!
  if [ "$quiet" = 0 ]; then
    tail -s 0.2 -n +1 -f --pid="$qpid" "$raw" | sed -u 's/\r$//' &
    tpid=$!
  fi
  watch_l1 "$raw"
  wait "$qpid" || rc=$?
  qpid=
  [ "$lockup" = 0 ] || rc=124
  if [ -n "$tpid" ]; then wait "$tpid" || true; tpid=; fi
  [ -s "$tmp/qemu.err" ] && sed 's/^/run-l1: qemu: /' "$tmp/qemu.err" >&2
  line=$(tr -d '\r' <"$raw" | grep -a '^VIRT-LITE-L1-EXIT status=' | tail -n1 || true)
  if [ -n "$line" ]; then
    run_status=${line#*status=}
  elif [ "$rc" = 124 ]; then
    [ "$lockup" = 1 ] || log "L1 run hit the ${timeout_s}s timeout"
    log "the L1 console ended with:"
    tr -d '\r' <"$raw" | tail -n 15 | sed 's/^/run-l1: | /' >&2
    run_status=124
  else
    log "L1 ended (qemu status $rc) without reporting the payload's status; its console ended with:"
    tr -d '\r' <"$raw" | tail -n 15 | sed 's/^/run-l1: | /' >&2
    run_status=125
  fi
  [ -z "$log_file" ] || { echo "=== run-l1: try $((try + 1)), status $run_status"; tr -d '\r' <"$raw"; } >>"$log_file"
}

main() {
  local kernel l1_cpio try=0 t0
  while [ $# -gt 0 ]; do
    case $1 in
      --bin) bins+=("$2"); shift 2 ;;
      --file) files+=("$2"); shift 2 ;;
      --root) roots+=("$2"); shift 2 ;;
      --out) out_dir=$2; shift 2 ;;
      --log) log_file=$2; shift 2 ;;
      --timeout) timeout_s=$2; shift 2 ;;
      --idle) idle_s=$2; shift 2 ;;
      --retries) retries=$2; shift 2 ;;
      --quiet) quiet=1; shift ;;
      -h|--help) usage ;;
      --) shift; break ;;
      -*) usage ;;
      *) break ;;
    esac
  done
  [ $# -ge 1 ] || usage
  local payload=$1
  shift

  ensure_qemu
  kernel=$(image_path kernel-generic)
  l1_cpio=$(image_path initramfs-l1)
  tmp=$(mktemp -d /tmp/virt-lite-l1.XXXXXX)
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  [ -z "$log_file" ] || : >"$log_file"
  stage_payload "$payload" "$@"
  assemble_initrd "$l1_cpio"

  while :; do
    t0=$(date +%s.%N)
    run_once "$kernel"
    log "try $((try + 1)): payload status $run_status after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')s"
    case $run_status in 124|125) ;; *) break ;; esac
    [ "$try" -lt "$retries" ] || break
    try=$((try + 1))
    log "no answer from the payload: trying again in a fresh L1 ($try of $retries)"
  done
  if [ -n "$out_dir" ] && [ -s "$tmp/out.tar" ]; then
    mkdir -p "$out_dir"
    tar -C "$out_dir" -xf "$tmp/out.tar"
  fi
  exit "$run_status"
}

main "$@"
