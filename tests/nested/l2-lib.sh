# l2-lib.sh: inside L1, starts one L2 under a VMM (lite-vmm or QEMU), reads its console, asks it to stop.
# Sourced (busybox sh, not bash) by l2-boot.sh and l2-bench.sh, from /payload.
#
# The caller sets:
#   VMM_KIND   lite | qemu
#   VMM        the VMM binary (its host path; run-l1.sh copied it there with its ldd closure)
#   KERNEL INITRD CMDLINE VCPUS MEM_MIB
#   MACHINE    QEMU only: microvm,rtc=on | q35 | ...
#   QEMU_FW    QEMU only: its firmware directory (-L)
#   QEMU_ACCEL QEMU only: kvm (default; the L2 case) or tcg (the images' own test on the host)
# vm_start DIR sets VMM_PID and CONSOLE (the pty) and appends the console to DIR/console.log.
#
# The two kinds differ only in how they start and take requests:
#   lite: `lite-vmm --config F --status-fd 3` writes "ok pid=P console=/dev/pts/N" on fd 3;
#         control socket DIR/ctl, one request line per connection, answered "ok ..."
#         (src/launch/control.c): shutdown = ask the guest to power off, reboot = to reboot.
#   qemu: pty chardev (path on stderr); HMP monitor on DIR/ctl: system_powerdown (an ACPI
#         power-button press, as lite's shutdown) and system_reset (a hard reset: QEMU has no
#         "ask the guest to reboot").

L2_LIB_DIR=$(dirname "$0")
VMM_PID=
CAT_PID=
CONSOLE=
W=

# vm_option NAME VALUE: takes one of the VM options both l2-boot.sh and l2-bench.sh accept;
# 1 if NAME is none of them.
vm_option() {
  case $1 in
    --kernel) KERNEL=$2 ;;
    --initrd) INITRD=$2 ;;
    --vcpus) VCPUS=$2 ;;
    --mem) MEM_MIB=$2 ;;
    --machine) MACHINE=$2 ;;
    --qemu-fw) QEMU_FW=$2 ;;
    --cmdline) CMDLINE=$2 ;;
    --boot-timeout) BOOT_TIMEOUT=$2 ;;
    *) return 1 ;;
  esac
}

# Time in centiseconds since L1 boot: the only clock busybox gives cheaply.
now_cs() {
  local up rest
  read -r up rest </proc/uptime
  echo "${up%.*}${up#*.}"
}

vm_alive() {
  local pid comm state rest
  [ -n "$VMM_PID" ] && [ -r "/proc/$VMM_PID/stat" ] || return 1
  read -r pid comm state rest <"/proc/$VMM_PID/stat"
  [ "$state" != Z ]
}

# wait_match FILE ERE LIMIT_CS [COUNT]: until FILE has COUNT lines matching ERE.
# 0: found; 1: timed out; 2: the VMM exited first (a last look is taken).
wait_match() {
  local file=$1 re=$2 limit n=${4:-1} c
  limit=$(($(now_cs) + $3))
  while :; do
    c=$(grep -cE "$re" "$file" 2>/dev/null) || true
    [ "${c:-0}" -ge "$n" ] && return 0
    if ! vm_alive; then
      sleep 0.2
      c=$(grep -cE "$re" "$file" 2>/dev/null) || true
      [ "${c:-0}" -ge "$n" ] && return 0
      return 2
    fi
    [ "$(now_cs)" -ge "$limit" ] && return 1
    sleep 0.1
  done
}

qemu_start() {
  # Under TCG the default CPU model, not max: with max the cloud kernel on microvm (no HPET,
  # no PM timer) cannot calibrate the TSC and never gets past early boot.
  local cpu=host
  [ "${QEMU_ACCEL:-kvm}" = kvm ] || cpu=qemu64
  "$VMM" ${QEMU_FW:+-L "$QEMU_FW"} -accel "${QEMU_ACCEL:-kvm}" -cpu "$cpu" -M "$MACHINE" -m "$MEM_MIB" -smp "$VCPUS" \
    -nodefaults -no-user-config -display none \
    -chardev pty,id=con0 -serial chardev:con0 \
    -monitor "unix:$W/ctl,server=on,wait=off" \
    -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE" \
    </dev/null >"$W/vmm.out" 2>"$W/vmm.err" &
  VMM_PID=$!
  # QEMU 7.2 prints the pty path on stdout (qemu_printf), not stderr.
  if ! wait_match "$W/vmm.out" 'char device redirected to /dev/pts/' 3000; then
    echo "qemu did not report its console:"; cat "$W/vmm.out" "$W/vmm.err"
    return 1
  fi
  CONSOLE=$(sed -n 's|.*redirected to \(/dev/pts/[0-9]*\).*|\1|p' "$W/vmm.out" | head -n1)
}

lite_start() {
  sh "$L2_LIB_DIR/launch-config.sh" "l2-$$" "$W/ctl" "$MEM_MIB" "$VCPUS" "$KERNEL" "$INITRD" "$CMDLINE" \
    >"$W/launch.conf"
  "$VMM" --config "$W/launch.conf" --status-fd 3 3>"$W/status" \
    </dev/null >"$W/vmm.out" 2>"$W/vmm.err" &
  VMM_PID=$!
  if ! wait_match "$W/status" '^(ok|error)' 3000; then
    echo "lite-vmm wrote no status line; its stderr:"; cat "$W/vmm.err"
    return 1
  fi
  if ! grep -q '^ok' "$W/status"; then
    echo "lite-vmm refused to start: $(cat "$W/status")"; cat "$W/vmm.err"
    return 1
  fi
  CONSOLE=$(sed -n 's|.* console=\([^ ]*\).*|\1|p' "$W/status" | head -n1)
  [ -n "$CONSOLE" ] || { echo "lite-vmm reported no console: $(cat "$W/status")"; return 1; }
}

# vm_start DIR: start the VMM and attach to its console. The pty must be raw: an echoing
# line discipline would send the guest's own output back to it as input.
vm_start() {
  W=$1
  mkdir -p "$W"
  : >"$W/console.log"
  VM_T0=$(now_cs)
  "${VMM_KIND}_start" || return 1
  stty -F "$CONSOLE" raw -echo 2>/dev/null
  cat "$CONSOLE" >>"$W/console.log" 2>/dev/null &
  CAT_PID=$!
}

# Typed as on a terminal: the line ends with CR, which the guest's tty turns into NL.
vm_type() {
  printf '%s\r' "$1" >"$CONSOLE"
}

# vm_control shutdown|reboot: one request on the control socket. 0 when it was accepted.
vm_control() {
  local reply cmd
  case $VMM_KIND in
    lite)
      reply=$(echo "$1" | timeout 20 socat -t 15 - "UNIX-CONNECT:$W/ctl" 2>&1) || true
      case $reply in
        ok*) return 0 ;;
        *) echo "control $1: got '$reply'"; return 1 ;;
      esac ;;
    qemu)
      case $1 in
        shutdown) cmd=system_powerdown ;;
        reboot) cmd=system_reset ;;
        *) echo "control $1: no QEMU equivalent"; return 1 ;;
      esac
      echo "$cmd" | timeout 20 socat -t 2 - "UNIX-CONNECT:$W/ctl" >/dev/null 2>&1 ;;
  esac
}

# vm_wait_exit LIMIT_CS: sets VMM_STATUS; 1 if the VMM is still running at the limit.
vm_wait_exit() {
  local limit
  limit=$(($(now_cs) + $1))
  while vm_alive; do
    [ "$(now_cs)" -ge "$limit" ] && return 1
    sleep 0.1
  done
  VMM_STATUS=0
  wait "$VMM_PID" || VMM_STATUS=$?
  VMM_PID=
  return 0
}

# vm_poweroff: the guest powers itself off from its shell; the VMM gets 30 s to exit before
# it is killed. A clean exit matters more than speed: L1s whose VMMs were killed with SIGKILL
# while their vCPUs ran locked up after a few boots.
vm_poweroff() {
  vm_type "poweroff -f"
  vm_wait_exit 3000 || true
  vm_cleanup
}

# Kill what vm_start started, if still there.
vm_cleanup() {
  if vm_alive; then
    kill -9 "$VMM_PID" 2>/dev/null
    wait "$VMM_PID" 2>/dev/null
  fi
  VMM_PID=
  [ -n "$CAT_PID" ] && kill "$CAT_PID" 2>/dev/null
  [ -n "$CAT_PID" ] && wait "$CAT_PID" 2>/dev/null
  CAT_PID=
  return 0
}
