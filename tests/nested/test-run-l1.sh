#!/bin/bash
# test-run-l1.sh: the L1 harness itself: kvm in L1, a dynamic binary with its closure, output files, exit status, hang and retry.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/virt-lite-test-l1.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() {
  local what=$1
  shift
  if "$@"; then echo "PASS: $what"; passed=$((passed + 1)); else echo "FAIL: $what"; failed=$((failed + 1)); fi
}

# run_l1 STATUS_VAR ARGS...: runs the harness, keeping its console and stderr.
run_l1() {
  local rc=0
  "$HERE/run-l1.sh" --quiet --log "$tmp/console.log" "$@" 2>"$tmp/stderr" || rc=$?
  echo "$rc"
}

# Payload status 3 comes back as run-l1's status; files in $VIRT_LITE_OUT come back too.
test_payload() {
  local rc
  mkdir -p "$tmp/p1"
  cat >"$tmp/p1/run" <<'PAYLOAD'
echo "payload-ran args=[$1][$2]"
[ -c /dev/kvm ] && echo "payload-kvm nested=$(cat /sys/module/kvm_amd/parameters/nested)"
/usr/bin/socat -V | grep -q 'socat version' && echo "payload-socat-runs"
echo from-l1 >"$VIRT_LITE_OUT/hello.txt"
exit 3
PAYLOAD
  rc=$(run_l1 --bin "$(command -v socat)" --out "$tmp/out" "$tmp/p1" one "two words")
  [ "$rc" != 77 ] || { cat "$tmp/stderr"; exit 77; }
  check "payload exit status 3 is run-l1's status (got $rc)" [ "$rc" = 3 ]
  check "payload got its arguments" grep -qx 'payload-ran args=\[one\]\[two words\]' "$tmp/console.log"
  check "L1 has a nested-capable /dev/kvm" grep -qx 'payload-kvm nested=1' "$tmp/console.log"
  check "a dynamically linked binary runs with its ldd closure" grep -qx 'payload-socat-runs' "$tmp/console.log"
  check "files from \$VIRT_LITE_OUT come back" grep -qx from-l1 "$tmp/out/hello.txt"
}

# A payload that never ends is stopped at --timeout, tried once more, then reported as 124.
test_hang() {
  local rc t0 t
  mkdir -p "$tmp/p2"
  echo 'echo payload-hangs; sleep 100000' >"$tmp/p2/run"
  t0=$(date +%s)
  rc=$(run_l1 --timeout 40 --retries 1 "$tmp/p2")
  t=$(($(date +%s) - t0))
  check "a hung payload ends as 124 (got $rc)" [ "$rc" = 124 ]
  check "a hung run is tried once more" grep -q 'trying again in a fresh L1 (1 of 1)' "$tmp/stderr"
  check "two tries of 40 s end in time (took ${t}s)" [ "$t" -lt 150 ]
}

main() {
  command -v socat >/dev/null || { echo "skip: socat is not installed"; exit 77; }
  test_payload
  test_hang
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}

main "$@"
