# l2-bench.sh: inside L1, times L2 boots to the initramfs marker under QEMU and (if given) lite-vmm, interleaved.
# Run by busybox sh as /payload/run (bench/vm-boot-nested puts it there; see l2-lib.sh).
#
# Options: --runs N --kernel PATH --initrd PATH --vcpus N --mem MiB --machine M
#   --qemu PATH --qemu-fw DIR [--lite PATH [--lite-first 0|1]] [--cmdline TEXT]
#   [--boot-timeout S]
# A boot is timed from just before the VMM is started to the moment the marker line is seen
# on its console (polled every 0.1 s); then the guest is powered off from its shell. The VMMs take turns, because
# successive L2 boots in one L1 get slower: each sees the same drift.
# Prints "boot KIND I SECONDS" per boot; bench/vm-boot-nested sums up the times files.

. "$(dirname "$0")/l2-lib.sh"

MARKER='VIRT-LITE-GUEST-READY cpus='
RUNS=5
BOOT_TIMEOUT=120
CMDLINE='console=ttyS0 quiet panic=-1'
LITE=
LITE_FIRST=0
QEMU=
failures=0

parse_args() {
  while [ $# -gt 0 ]; do
    vm_option "$1" "${2:-}" && { shift 2; continue; }
    case $1 in
      --runs) RUNS=$2 ;;
      --qemu) QEMU=$2 ;;
      --lite) LITE=$2 ;;
      --lite-first) LITE_FIRST=$2 ;;
      *) echo "l2-bench: unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
}

# boot_once KIND BINARY I: appends "KIND SECONDS" to $VIRT_LITE_OUT/times (which run-l1.sh
# brings back to the host) on success.
boot_once() {
  local t rc=0
  VMM_KIND=$1 VMM=$2
  if ! vm_start "/tmp/bench/$1-$3"; then
    echo "boot $1 $3 failed to start"; vm_cleanup; failures=$((failures + 1)); return
  fi
  wait_match "$W/console.log" "$MARKER" $((BOOT_TIMEOUT * 100)) || rc=$?
  t=$(($(now_cs) - VM_T0))
  vm_poweroff
  if [ "$rc" != 0 ]; then
    echo "boot $1 $3 no marker (rc $rc) after $t cs"
    tr -d '\r' <"$W/console.log" | tail -n 5
    failures=$((failures + 1))
    return
  fi
  printf 'boot %s %d %d.%02d\n' "$1" "$3" $((t / 100)) $((t % 100))
  printf '%s %d.%02d\n' "$1" $((t / 100)) $((t % 100)) >>"$VIRT_LITE_OUT/times"
}

main() {
  local i
  parse_args "$@"
  mkdir -p /tmp/bench
  : >"$VIRT_LITE_OUT/times"
  echo "l2-bench: ${KERNEL##*/} vcpus=$VCPUS mem=${MEM_MIB}MiB runs=$RUNS qemu -M $MACHINE${LITE:+ and lite-vmm}"
  i=1
  while [ "$i" -le "$RUNS" ]; do
    [ -z "$LITE" ] || [ "$LITE_FIRST" = 0 ] || boot_once lite "$LITE" "$i"
    boot_once qemu "$QEMU" "$i"
    [ -z "$LITE" ] || [ "$LITE_FIRST" = 1 ] || boot_once lite "$LITE" "$i"
    i=$((i + 1))
  done
  echo "failures=$failures"
  [ "$failures" = 0 ]
}

main "$@"
