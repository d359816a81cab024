#!/bin/bash
# test-guest-tcg.sh: boots the cached kernels with the guest initramfs under plain QEMU TCG on the host and runs the L2 checks.
#
# Usage: tests/images/test-guest-tcg.sh cloud|generic
# The images' own test, without the nested tier: the same checks as tests/nested/vm-boot.sh
# (tests/nested/l2-boot.sh: marker with cpus= and mem_kb=, console, reboot, ACPI power
# button), QEMU with -accel tcg instead of KVM. cloud: 1 vCPU, generic: 2 vCPUs, both on q35:
# under TCG a microvm (no HPET, no PM timer) often fails to calibrate the TSC against the PIT
# and hangs in early boot, which says nothing about the images (microvm is covered in L2).
# Exit 77 when QEMU or the Debian archive is missing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

main() {
  local flavour=${1:-cloud} kernel initrd qemu machine vcpus mem
  qemu=$(command -v qemu-system-x86_64) || { echo "skip: qemu-system-x86_64 is not installed"; exit 77; }
  command -v socat >/dev/null || { echo "skip: socat is not installed"; exit 77; }
  case $flavour in
    cloud) machine=q35 vcpus=1 mem=256 ;;
    generic) machine=q35 vcpus=2 mem=512 ;;
    *) echo "usage: $0 cloud|generic" >&2; exit 2 ;;
  esac
  kernel=$(image_path "kernel-$flavour")
  initrd=$(image_path initramfs-guest)
  exec sh "$HERE/../nested/l2-boot.sh" --vmm-kind qemu --vmm "$qemu" --accel tcg \
    --machine "$machine" --vcpus "$vcpus" --mem "$mem" --kernel "$kernel" --initrd "$initrd" \
    --reboot
}

main "$@"
