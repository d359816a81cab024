# l2-boot.sh: inside L1, boots one L2 under a VMM and checks it end to end: marker, vCPUs, RAM, console, reboot, shutdown.
# Run by busybox sh as /payload/run (tests/nested/vm-boot.sh puts it there; see l2-lib.sh).
#
# Options (vm-boot.sh passes them): --vmm-kind lite|qemu --vmm PATH --kernel PATH
#   --initrd PATH --vcpus N --mem MiB [--machine M] [--qemu-fw DIR] [--cmdline TEXT]
#   [--type TEXT --expect ERE] [--reboot] [--boot-timeout S] [--accel kvm|tcg]
# It runs on the host too (tests/images/test-guest-tcg.sh: QEMU with --accel tcg).
# Prints "PASS: ..." / "FAIL: ..." per check and "N passed, N failed" last.
# Exit: 0 all passed; 124 the guest never reached its marker in time (a hang, which run-l1.sh
# retries once); 1 any other failure.

. "$(dirname "$0")/l2-lib.sh"

MARKER='VIRT-LITE-GUEST-READY cpus='
BOOT_TIMEOUT=120
TYPE='echo virt-lite-$((6*7))'
EXPECT='virt-lite-42'
REBOOT=0
CMDLINE='console=ttyS0 quiet panic=-1'
passed=0
failed=0

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# Ends the run: console shown on failure, the VMM killed, the summary line printed.
finish() {
  local code=$1
  [ "$failed" = 0 ] || { echo "--- L2 console ---"; tr -d '\r' <"$W/console.log"; echo "---"; }
  vm_cleanup
  rm -rf "$W"
  echo "$passed passed, $failed failed"
  [ "$code" != 0 ] || [ "$failed" = 0 ] || code=1
  exit "$code"
}

parse_args() {
  while [ $# -gt 0 ]; do
    vm_option "$1" "${2:-}" && { shift 2; continue; }
    case $1 in
      --vmm-kind) VMM_KIND=$2 ;;
      --vmm) VMM=$2 ;;
      --type) TYPE=$2 ;;
      --expect) EXPECT=$2 ;;
      --accel) QEMU_ACCEL=$2 ;;
      --reboot) REBOOT=1; shift; continue ;;
      *) echo "l2-boot: unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
}

# The last marker line's cpus= and mem_kb= against what the VMM was given. MemTotal is RAM
# less what the kernel keeps for itself: between 70% and 100% of the configured size.
check_marker() {
  local line cpus mem_kb want_kb
  line=$(tr -d '\r' <"$W/console.log" | grep "$MARKER" | tail -n1)
  cpus=$(echo "$line" | sed -n 's/.* cpus=\([0-9]*\).*/\1/p')
  mem_kb=$(echo "$line" | sed -n 's/.* mem_kb=\([0-9]*\).*/\1/p')
  want_kb=$((MEM_MIB * 1024))
  if [ "$cpus" = "$VCPUS" ]; then pass "guest sees $cpus vCPUs"; else fail "guest sees '$cpus' vCPUs, want $VCPUS"; fi
  if [ -n "$mem_kb" ] && [ "$mem_kb" -le "$want_kb" ] && [ $((mem_kb * 100)) -ge $((want_kb * 70)) ]; then
    pass "guest MemTotal $mem_kb kB of $want_kb kB"
  else
    fail "guest MemTotal '$mem_kb' kB, want 70-100% of $want_kb kB"
  fi
}

# wait for the COUNT-th marker; a hang ends the run with 124.
boot_to_marker() {
  local what=$1 count=$2 t0=$3 rc=0
  wait_match "$W/console.log" "$MARKER" $((BOOT_TIMEOUT * 100)) "$count" || rc=$?
  case $rc in
    0) pass "$what: marker after $(cs_to_s $(($(now_cs) - t0))) s"; check_marker ;;
    1) fail "$what: no marker within $BOOT_TIMEOUT s"; finish 124 ;;
    *) fail "$what: the VMM exited before the marker"; cat "$W/vmm.err"; finish 1 ;;
  esac
}

cs_to_s() {
  printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# What is typed comes back as the command echo; only the output line matches the whole ERE.
check_console() {
  local limit
  vm_type "$TYPE"
  limit=$(($(now_cs) + 3000))
  while ! tr -d '\r' <"$W/console.log" | grep -qxE "$EXPECT"; do
    if [ "$(now_cs)" -ge "$limit" ]; then
      fail "console: typed '$TYPE', no line matching '$EXPECT' within 30 s"
      return
    fi
    sleep 0.1
  done
  pass "console: typed '$TYPE', read back '$EXPECT'"
}

check_reboot() {
  local t0
  t0=$(now_cs)
  if ! vm_control reboot; then fail "control: reboot refused"; return; fi
  pass "control: reboot accepted"
  boot_to_marker "reboot" 2 "$t0"
}

# shutdown = an ACPI power-button press: the guest init reports it, then powers off.
check_shutdown() {
  if ! vm_control shutdown; then fail "control: shutdown refused"; return; fi
  pass "control: shutdown accepted"
  if ! vm_wait_exit 6000; then
    fail "shutdown: the VMM still runs 60 s after the request"
    return
  fi
  if grep -q 'VIRT-LITE-GUEST-POWER-BUTTON' "$W/console.log"; then
    pass "shutdown: the guest saw the power button"
  else
    fail "shutdown: the VMM exited but the guest saw no power-button press"
  fi
  if [ "$VMM_STATUS" = 0 ]; then pass "shutdown: VMM exit status 0"; else fail "shutdown: VMM exit status $VMM_STATUS"; fi
}

main() {
  parse_args "$@"
  echo "l2-boot: $VMM_KIND ${MACHINE:-} vcpus=$VCPUS mem=${MEM_MIB}MiB kernel=${KERNEL##*/}"
  if ! vm_start "$(mktemp -d /tmp/virt-lite-l2.XXXXXX)"; then
    fail "the VMM did not start"
    finish 1
  fi
  pass "VMM started, console $CONSOLE"
  boot_to_marker "boot" 1 "$VM_T0"
  check_console
  [ "$REBOOT" = 0 ] || check_reboot
  check_shutdown
  finish 0
}

main "$@"
