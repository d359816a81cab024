# l2-bench.sh: inside L1, times L2 boots to the initramfs marker under QEMU and (if given) lite-vmm, interleaved.
# Run by busybox sh as /payload/run (bench/vm-boot-nested puts it there; see l2-lib.sh).
#
# Options: --runs N --kernel PATH --initrd PATH --vcpus N --mem MiB --machine M
#   --qemu PATH --qemu-fw DIR [--lite PATH] [--cmdline TEXT] [--boot-timeout S]
# A boot is timed from just before the VMM is started to the moment the marker line is seen
# on its console (polled every 0.1 s), then the VMM is killed. The VMMs take turns, because
# successive L2 boots in one L1 get slower: each sees the same drift.
# Prints "boot KIND I SECONDS" per boot, then min/median/max per VMM and the ratio of medians.

. "$(dirname "$0")/l2-lib.sh"

MARKER='VIRT-LITE-GUEST-READY cpus='
RUNS=5
BOOT_TIMEOUT=120
CMDLINE='console=ttyS0 quiet panic=-1'
LITE=
QEMU=
failures=0

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --runs) RUNS=$2 ;;
      --kernel) KERNEL=$2 ;;
      --initrd) INITRD=$2 ;;
      --vcpus) VCPUS=$2 ;;
      --mem) MEM_MIB=$2 ;;
      --machine) MACHINE=$2 ;;
      --qemu) QEMU=$2 ;;
      --qemu-fw) QEMU_FW=$2 ;;
      --lite) LITE=$2 ;;
      --cmdline) CMDLINE=$2 ;;
      --boot-timeout) BOOT_TIMEOUT=$2 ;;
      *) echo "l2-bench: unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
}

# boot_once KIND BINARY I: appends "KIND SECONDS" to /tmp/bench/times on success.
boot_once() {
  local t rc=0
  VMM_KIND=$1 VMM=$2
  if ! vm_start "/tmp/bench/$1-$3"; then
    echo "boot $1 $3 failed to start"; vm_cleanup; failures=$((failures + 1)); return
  fi
  wait_match "$W/console.log" "$MARKER" $((BOOT_TIMEOUT * 100)) || rc=$?
  t=$(($(now_cs) - VM_T0))
  vm_cleanup
  if [ "$rc" != 0 ]; then
    echo "boot $1 $3 no marker (rc $rc) after $t cs"
    tr -d '\r' <"$W/console.log" | tail -n 5
    failures=$((failures + 1))
    return
  fi
  printf 'boot %s %d %d.%02d\n' "$1" "$3" $((t / 100)) $((t % 100))
  printf '%s %d.%02d\n' "$1" $((t / 100)) $((t % 100)) >>/tmp/bench/times
}

# min/median/max per kind and the lite/qemu ratio of the medians.
summarise() {
  awk '
    { v[$1, ++n[$1]] = $2 }
    function median(k,   i, j, t, m) {
      m = n[k]
      for (i = 1; i <= m; i++) a[i] = v[k, i]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      lo[k] = a[1]; hi[k] = a[m]
      return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
      for (k in n) {
        med[k] = median(k)
        printf "%-5s boots=%d min=%.2fs median=%.2fs max=%.2fs\n", k, n[k], lo[k], med[k], hi[k]
      }
      if (("lite" in med) && ("qemu" in med))
        printf "ratio lite-vmm/qemu (median): %.2f\n", med["lite"] / med["qemu"]
    }' /tmp/bench/times
}

main() {
  local i
  parse_args "$@"
  mkdir -p /tmp/bench
  : >/tmp/bench/times
  echo "l2-bench: ${KERNEL##*/} vcpus=$VCPUS mem=${MEM_MIB}MiB runs=$RUNS qemu -M $MACHINE${LITE:+ and lite-vmm}"
  i=1
  while [ "$i" -le "$RUNS" ]; do
    boot_once qemu "$QEMU" "$i"
    [ -z "$LITE" ] || boot_once lite "$LITE" "$i"
    i=$((i + 1))
  done
  summarise
  echo "failures=$failures"
  [ "$failures" = 0 ]
}

main "$@"
