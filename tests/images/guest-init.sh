#!/bin/busybox sh
# guest-init.sh: PID 1 of the tiny test guest: a marker line, a shell on the console, power off on request.
#
# What a test relies on (tests/nested/l2-boot.sh, bench/vm-boot-nested):
#   VIRT-LITE-GUEST-READY cpus=N mem_kb=M kernel=RELEASE   once the guest is up, N from
#       /proc/cpuinfo and M = MemTotal, so a test checks the vCPUs and RAM the VMM gave;
#   then a shell on the console (prompt "guest# ") that answers what is typed;
#   an ACPI power-button press (button.ko + evdev.ko from the guest kernel's own package)
#   powers the guest off, and so do `poweroff` and `poweroff -f` typed at the prompt.
# Busybox is the only program; no libc, no udev.

/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp

# busybox poweroff/reboot/halt without -f signal PID 1 instead of calling the kernel.
trap 'poweroff -f' USR2
trap 'reboot -f' TERM
trap 'halt -f' USR1

load_modules() {
  local m
  # Debian builds ACPI_BUTTON and INPUT_EVDEV as modules: without them a power-button press
  # reaches no one. The initramfs carries them for each kernel release it was built for.
  for m in evdev button; do
    [ -f "/lib/modules/$(uname -r)/$m.ko" ] && insmod "/lib/modules/$(uname -r)/$m.ko" 2>/dev/null
  done
  return 0
}

# Power off on the first event from any "Power Button" input device (press = first event).
# An ACPI power button is the way a VMM asks a guest to shut down cleanly.
watch_power_button() {
  local n dev found=0
  for n in /sys/class/input/input*; do
    [ "$(cat "$n/name" 2>/dev/null)" = "Power Button" ] || continue
    for dev in "$n"/event*; do
      [ -e "$dev" ] || continue
      found=1
      (dd if="/dev/input/${dev##*/}" bs=24 count=1 of=/dev/null 2>/dev/null &&
         echo "VIRT-LITE-GUEST-POWER-BUTTON" && poweroff -f) &
    done
  done
  [ "$found" = 1 ] || echo "VIRT-LITE-GUEST-NO-POWER-BUTTON"
}

# The interactive console: a login-less shell with the console as controlling tty, restarted
# if it exits so that a test can never lose the console.
console_shell() {
  export PS1='guest# '
  while :; do
    setsid cttyhack sh
  done
}

load_modules
watch_power_button
echo "VIRT-LITE-GUEST-READY cpus=$(grep -c '^processor' /proc/cpuinfo) mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo) kernel=$(uname -r)"
console_shell &
# PID 1 must never exit (the kernel would panic); wait returns on each trapped signal.
while :; do
  wait
done
