#!/bin/busybox sh
# l1-init.sh: PID 1 of the L1 (KVM-in-TCG) machine: loads kvm, runs the injected payload, reports its status.
#
# The payload arrives as a second cpio appended to l1.cpio by tests/nested/run-l1.sh:
#   /payload/run        the script to run (busybox sh), cwd /payload
#   /payload/.args      its arguments, one per line
#   anything else       e.g. binaries and their libraries at their host paths
# Console protocol (ttyS0), read by run-l1.sh:
#   VIRT-LITE-L1-READY kvm=... nested=... npt=...   kvm is loaded, the payload starts
#   ...the payload's own output...
#   VIRT-LITE-L1-EXIT status=N                      the payload's exit status
# Files the payload leaves in $VIRT_LITE_OUT (/out) are sent as a tar stream on ttyS1.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run /out
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
# The VMMs under test hand out their console as a pty: devpts must be there.
mount -t devpts -o ptmxmode=0666 devpts /dev/pts
# /tmp and /run stay on the rootfs (already RAM): a tmpfs over them would hide payload
# files placed there, e.g. a binary copied from the host's /tmp.

finish() {
  echo "VIRT-LITE-L1-EXIT status=$1"
  sync
  poweroff -f
}

# Order matters: kvm needs irqbypass; kvm-amd needs kvm and ccp (SEV support).
load_kvm() {
  local m dir="/lib/modules/$(uname -r)"
  for m in irqbypass kvm ccp kvm-amd; do
    insmod "$dir/$m.ko" || { echo "VIRT-LITE-L1-ERROR insmod $m failed"; return 1; }
  done
  [ -c /dev/kvm ] || { echo "VIRT-LITE-L1-ERROR no /dev/kvm after insmod"; return 1; }
}

# Sent raw (no \n -> \r\n translation) so that the host gets the tar byte for byte.
send_out() {
  [ -n "$(ls -A /out)" ] && [ -c /dev/ttyS1 ] || return 0
  stty -F /dev/ttyS1 raw -echo 2>/dev/null
  tar -C /out -cf /dev/ttyS1 .
}

run_payload() {
  local status
  [ -f /payload/run ] || { echo "VIRT-LITE-L1-ERROR no /payload/run"; return 1; }
  set --
  if [ -f /payload/.args ]; then
    while IFS= read -r a; do set -- "$@" "$a"; done </payload/.args
  fi
  cd /payload
  VIRT_LITE_OUT=/out sh ./run "$@"
  status=$?
  cd /
  return $status
}

load_kvm || finish 1
echo "VIRT-LITE-L1-READY kvm=yes nested=$(cat /sys/module/kvm_amd/parameters/nested) npt=$(cat /sys/module/kvm_amd/parameters/npt) cpus=$(nproc) clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
run_payload
status=$?
send_out
finish $status
