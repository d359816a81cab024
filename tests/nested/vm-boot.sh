#!/bin/bash
# vm-boot.sh: boots a stock Debian kernel as L2 under a VMM inside a nested-KVM L1 and checks marker, console, reboot, shutdown.
#
# Usage: tests/nested/vm-boot.sh --vmm PATH|qemu --kernel generic|cloud --vcpus N --mem MiB
#          [--type TEXT --expect ERE] [--reboot] [--machine M] [--cmdline TEXT]
#          [--boot-timeout S] [--timeout S] [--log FILE]
#   --vmm PATH   a lite-vmm binary (copied into L1 with its ldd closure), started from a
#                launch config (tests/nested/launch-config.sh) as `lite-vmm --config F
#                --status-fd 3`; `--vmm qemu` uses this host's QEMU as the VMM instead, with
#                the same checks (the harness's own proof while lite-vmm cannot boot bzImages)
#   --kernel     the Debian kernel (tests/images/build.sh kernel-generic|kernel-cloud) booted
#                with the busybox initramfs (build.sh initramfs-guest)
#   --type/--expect  typed on the console / an ERE that a whole output line must match
#                (default: `echo virt-lite-$((6*7))` / `virt-lite-42`)
#   --reboot     also ask for a reboot through the control socket; expect a second marker
#   --machine    QEMU only (default: microvm,rtc=on for cloud, q35 for generic)
#   --boot-timeout  per L2 boot (default 120); --timeout: the whole L1 run (default 600)
# Checks, in L1 (tests/nested/l2-boot.sh): the marker within the boot timeout, its cpus= and
# mem_kb= against --vcpus/--mem, the typed command answered, reboot (if asked), and
# `shutdown` on the control socket powering the guest off through its ACPI power button.
# Exit: 0 all passed, 1 a check failed, 124 hung twice, 77 this host cannot run the tier.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../images/lib.sh"

vmm=
kernel=
vcpus=1
mem=256
machine=
cmdline=
type_text=
expect=
reboot=0
boot_timeout=120
l1_timeout=600
log_file=
tmp=

usage() {
  sed -n '3,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --vmm) vmm=$2 ;;
      --kernel) kernel=$2 ;;
      --vcpus) vcpus=$2 ;;
      --mem) mem=$2 ;;
      --machine) machine=$2 ;;
      --cmdline) cmdline=$2 ;;
      --type) type_text=$2 ;;
      --expect) expect=$2 ;;
      --boot-timeout) boot_timeout=$2 ;;
      --timeout) l1_timeout=$2 ;;
      --log) log_file=$2 ;;
      --reboot) reboot=1; shift; continue ;;
      *) usage ;;
    esac
    shift 2
  done
  [ -n "$vmm" ] && [ -n "$kernel" ] || usage
  case $kernel in generic|cloud) ;; *) usage ;; esac
}

main() {
  local payload args=() run_args=() peer k i
  parse_args "$@"
  tmp=$(mktemp -d /tmp/virt-lite-vm-boot.XXXXXX)
  trap cleanup EXIT
  payload="$tmp/payload"
  mkdir -p "$payload"
  cp "$HERE/l2-boot.sh" "$payload/run"
  cp "$HERE/l2-lib.sh" "$HERE/launch-config.sh" "$payload/"
  # Assignments, not arguments: a failed build (77 = skip) must end the script.
  k=$(image_path "kernel-$kernel")
  i=$(image_path initramfs-guest)
  cp "$k" "$payload/vmlinuz"
  cp "$i" "$payload/initrd"

  args=(--kernel /payload/vmlinuz --initrd /payload/initrd --vcpus "$vcpus" --mem "$mem"
        --boot-timeout "$boot_timeout")
  [ -z "$cmdline" ] || args+=(--cmdline "$cmdline")
  [ -z "$type_text" ] || args+=(--type "$type_text")
  [ -z "$expect" ] || args+=(--expect "$expect")
  [ "$reboot" = 0 ] || args+=(--reboot)
  # socat talks to the control socket; it is a dynamically linked Debian binary.
  command -v socat >/dev/null || { echo "vm-boot: skip: socat is not installed" >&2; exit 77; }
  # l2-boot.sh prints after every step; the longest step is one boot.
  run_args=(--bin "$(command -v socat)" --timeout "$l1_timeout" --idle $((boot_timeout + 90)))
  [ -z "$log_file" ] || run_args+=(--log "$log_file")

  if [ "$vmm" = qemu ]; then
    peer=$(image_path qemu-peer)
    [ -n "$machine" ] || { [ "$kernel" = cloud ] && machine=microvm,rtc=on || machine=q35; }
    args+=(--vmm-kind qemu --vmm /usr/bin/qemu-system-x86_64 --machine "$machine"
           --qemu-fw /usr/share/virt-lite-qemu)
    run_args+=(--root "$peer")
  else
    [ -x "$vmm" ] || { echo "vm-boot: $vmm is not an executable" >&2; exit 2; }
    vmm=$(realpath "$vmm")
    args+=(--vmm-kind lite --vmm "$vmm")
    run_args+=(--bin "$vmm")
  fi
  "$HERE/run-l1.sh" "${run_args[@]}" "$payload" "${args[@]}"
}

main "$@"
