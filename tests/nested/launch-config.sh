#!/bin/sh
# launch-config.sh: prints a lite-vmm launch config (format of src/launch/launch.c) for one test VM.
#
# Usage: launch-config.sh NAME CONTROL MEM_MIB VCPUS KERNEL INITRD CMDLINE
# POSIX sh on purpose: it runs inside L1 under busybox (tests/nested/l2-lib.sh) and on the
# host, where a unit test parses its output with the project's own parser
# (check-launch-config), so that a change of the format cannot break the nested tier unseen.
set -eu

[ $# -eq 7 ] || { echo "usage: $0 NAME CONTROL MEM_MIB VCPUS KERNEL INITRD CMDLINE" >&2; exit 2; }
uuid=$(cat /proc/sys/kernel/random/uuid)
cat <<CONF
# written by tests/nested/launch-config.sh
[domain]
format=1
kind=vm
name=$1
uuid=$uuid
control=$2
memory-kib=$(($3 * 1024))
vcpus=$4
on-poweroff=destroy
on-reboot=restart
on-crash=destroy
console=pty

[boot]
kernel=$5
initrd=$6
cmdline=$7
CONF
