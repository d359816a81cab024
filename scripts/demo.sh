#!/bin/bash
# demo.sh: the end of the README's first command: a demo VM and a demo container on
# lite:///system, defined from xml-examples/, started, and shown in virsh.
#
# The demo VM is a stock Debian kernel where /dev/kvm is hardware KVM, and virt-lite's own
# test guest where it is PVM (a stock kernel cannot boot there; lite-vmm --probe tells).
# Artefacts go to /var/lib/virt-lite/demo/, the paths the examples name. Idempotent: a demo
# domain that runs is left running; a stopped one is redefined from the current example.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
require_root

demo=/var/lib/virt-lite/demo
uri=lite:///system
mkdir -p "$demo"

# Copies $1 to $2 unless the same content is already there.
install_file() {
  if ! cmp -s "$1" "$2"; then
    install -m 0644 "$1" "$2.new"
    mv -f "$2.new" "$2"
  fi
}

# Defines $1 (an example XML) unless its domain runs, then starts it; prints the name.
define_and_start() {
  local xml=$1 name
  name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$xml" | head -n 1)
  if [ "$(virsh -c "$uri" domstate "$name" 2>/dev/null)" != "running" ]; then
    virsh -c "$uri" undefine "$name" >/dev/null 2>&1 || true
    virsh -c "$uri" define "$xml" >/dev/null
    virsh -c "$uri" start "$name" >&2
  fi
  echo "$name"
}

vm_xml=
if [ ! -e /dev/kvm ]; then
  lite_log "no /dev/kvm on this machine: the demo VM is skipped (containers need no KVM)"
elif /usr/libexec/lite-vmm --probe | grep -q ' bzimage=1'; then
  lite_log "demo VM: Debian's cloud kernel with a busybox initramfs"
  kernel=$("$top/tests/images/build.sh" kernel-cloud)
  initrd=$("$top/tests/images/build.sh" initramfs-guest)
  install_file "$kernel" "$demo/vmlinuz"
  install_file "$initrd" "$demo/initramfs.img"
  vm_xml=$top/xml-examples/vm-linux.xml
else
  lite_log "demo VM: virt-lite's test guest (this /dev/kvm is PVM: a stock kernel cannot boot here)"
  install_file "$top/build/tests/vmm/guest-cpl3" "$demo/test-guest.elf"
  vm_xml=$top/xml-examples/vm-test-guest.xml
fi

lite_log "demo container: a busybox root filesystem"
rootfs=$("$top/tests/images/rootfs-busybox.sh")
# A copy, not the build cache: the demo's root must not change under a running container.
# The cache entry's directory name is its key (tests/images/rootfs-common.sh).
key=$(basename "$(dirname "$rootfs")")
if [ "$(cat "$demo/rootfs-busybox.key" 2>/dev/null)" != "$key" ]; then
  if [ "$(virsh -c "$uri" domstate ct-busybox 2>/dev/null)" = "running" ]; then
    virsh -c "$uri" destroy ct-busybox >/dev/null
  fi
  rm -rf "$demo/rootfs-busybox.new"
  cp -a "$rootfs" "$demo/rootfs-busybox.new"
  rm -rf "$demo/rootfs-busybox"
  mv "$demo/rootfs-busybox.new" "$demo/rootfs-busybox"
  echo "$key" > "$demo/rootfs-busybox.key"
fi

names=()
[ -z "$vm_xml" ] || names+=("$(define_and_start "$vm_xml")")
names+=("$(define_and_start "$top/xml-examples/ct-busybox.xml")")

lite_log "lite:///system"
virsh -c "$uri" list --all
for n in "${names[@]}"; do
  virsh -c "$uri" dominfo "$n" | grep -E '^(Name|OS Type|State|CPU time|Used memory):'
  echo
done
echo "Talk to them with: virsh -c $uri console ${names[0]}   (leave with Ctrl-])"
