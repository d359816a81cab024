#!/bin/bash
# build.sh: builds (once, cached outside the tree) a guest artefact from Debian packages and prints its path.
#
# Usage: tests/images/build.sh [--key] TARGET
#   kernel-generic   .../vmlinuz of linux-image-amd64; beside it: config, release, modules/
#                    (irqbypass kvm ccp kvm-amd kvm-intel button evdev .ko)
#   kernel-cloud     .../vmlinuz of linux-image-cloud-amd64; beside it: config, release,
#                    modules/ (button evdev .ko)
#   initramfs-guest  .../guest.cpio: busybox + guest-init.sh; boots either kernel to
#                    "VIRT-LITE-GUEST-READY cpus=N mem_kb=M", then a shell on the console
#   initramfs-l1     .../l1.cpio: busybox + l1-init.sh + the generic kernel's kvm modules;
#                    append a payload cpio to it (tests/nested/run-l1.sh does)
#   qemu-peer        .../root: the host's qemu-system-x86_64 with its ldd closure at host
#                    paths and its firmware in root/usr/share/virt-lite-qemu (pass -L there)
# --key prints the cache key instead of building.
#
# A cache entry is $IMAGES_CACHE/TARGET/KEY, KEY hashing the Debian package versions and the
# scripts it is built from: a new kernel upload or an edited init gives a new entry, anything
# else reuses the old one. Exit 77 when the Debian archive cannot provide a package.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Files every key depends on: changing how we build must rebuild.
BUILD_INPUTS=("$IMAGES_SRC/build.sh" "$IMAGES_SRC/lib.sh")

# --- kernels ----------------------------------------------------------------------------

KVM_MODULES="irqbypass kvm ccp kvm-amd kvm-intel"
GUEST_MODULES="button evdev"

kernel_key() {
  key_of "kernel-$1" "${PKG_NAME[$1]}=${PKG_VER[$1]}" "$KVM_MODULES" "$GUEST_MODULES" \
    "${BUILD_INPUTS[@]}"
}

# Body for cache_entry: $KFLAVOUR selects the package. Only the kernel, its config and the
# few modules the tests load are extracted: never installed on the host.
build_kernel() {
  local out=$1 deb tmp m f release kpkg=${PKG_NAME[$KFLAVOUR]} kver=${PKG_VER[$KFLAVOUR]}
  deb=$(fetch_deb "$kpkg" "$kver")
  tmp="$out/.x"
  local patterns=('./boot/vmlinuz-*' './boot/config-*')
  for m in $KVM_MODULES $GUEST_MODULES; do
    patterns+=("*/$m.ko")
  done
  # tar fails on a pattern that matches nothing (a flavour without some module): the
  # checks below say what is really missing.
  deb_extract "$deb" "$tmp" "${patterns[@]}" 2>/dev/null || true
  [ -f "$(echo "$tmp"/boot/vmlinuz-*)" ] || img_die "no vmlinuz in $deb"
  release=$(basename "$tmp"/boot/vmlinuz-*); release=${release#vmlinuz-}
  mv "$tmp/boot/vmlinuz-$release" "$out/vmlinuz"
  mv "$tmp/boot/config-$release" "$out/config"
  echo "$release" >"$out/release"
  echo "$kpkg=$kver" >"$out/package"
  mkdir -p "$out/modules"
  for m in $KVM_MODULES $GUEST_MODULES; do
    f=$(find "$tmp/lib/modules" -name "$m.ko" | head -n1)
    if [ -n "$f" ]; then
      cp "$f" "$out/modules/"
    elif [ "$KFLAVOUR" = generic ]; then
      img_die "$kpkg has no $m.ko"
    fi
  done
  rm -rf "$tmp"
}

# Prints the directory of the flavour's cache entry (vmlinuz, config, release, modules/).
kernel_dir() {
  KFLAVOUR=$1
  cache_entry "kernel-$1" "$(kernel_key "$1")" build_kernel
}

# --- initramfs --------------------------------------------------------------------------

busybox_install() {
  local root=$1 deb
  deb=$(fetch_deb busybox-static "${PKG_VER[busybox]}")
  deb_extract "$deb" "$root/.bb" './bin/busybox'
  mkdir -p "$root/bin"
  mv "$root/.bb/bin/busybox" "$root/bin/busybox"
  rm -rf "$root/.bb"
}

guest_key() {
  key_of initramfs-guest "busybox-static=${PKG_VER[busybox]}" "$(kernel_key generic)" \
    "$(kernel_key cloud)" "$IMAGES_SRC/guest-init.sh" "${BUILD_INPUTS[@]}"
}

# One initramfs for both kernels: the ACPI button modules of each release sit in
# /lib/modules/RELEASE/, and the init loads the ones matching `uname -r`.
build_guest() {
  local out=$1 root="$1/root" kdir m
  busybox_install "$root"
  install -m 0755 "$IMAGES_SRC/guest-init.sh" "$root/init"
  for kdir in "$KERNEL_GENERIC_DIR" "$KERNEL_CLOUD_DIR"; do
    mkdir -p "$root/lib/modules/$(cat "$kdir/release")"
    for m in $GUEST_MODULES; do
      [ -f "$kdir/modules/$m.ko" ] && cp "$kdir/modules/$m.ko" "$root/lib/modules/$(cat "$kdir/release")/"
    done
  done
  make_cpio "$root" "$out/guest.cpio"
  rm -rf "$root"
}

target_initramfs_guest() {
  local dir
  KERNEL_GENERIC_DIR=$(kernel_dir generic)
  KERNEL_CLOUD_DIR=$(kernel_dir cloud)
  dir=$(cache_entry initramfs-guest "$(guest_key)" build_guest)
  echo "$dir/guest.cpio"
}

l1_key() {
  key_of initramfs-l1 "busybox-static=${PKG_VER[busybox]}" "$(kernel_key generic)" \
    "$IMAGES_SRC/l1-init.sh" "${BUILD_INPUTS[@]}"
}

# The L1 runs the generic kernel only (it has the kvm modules the nested tier needs).
build_l1() {
  local out=$1 root="$1/root" m moddir
  busybox_install "$root"
  install -m 0755 "$IMAGES_SRC/l1-init.sh" "$root/init"
  moddir="$root/lib/modules/$(cat "$KERNEL_GENERIC_DIR/release")"
  mkdir -p "$moddir"
  for m in $KVM_MODULES; do
    cp "$KERNEL_GENERIC_DIR/modules/$m.ko" "$moddir/"
  done
  make_cpio "$root" "$out/l1.cpio"
  rm -rf "$root"
}

target_initramfs_l1() {
  local dir
  KERNEL_GENERIC_DIR=$(kernel_dir generic)
  dir=$(cache_entry initramfs-l1 "$(l1_key)" build_l1)
  echo "$dir/l1.cpio"
}

# --- QEMU as the peer inside L1 ---------------------------------------------------------

QEMU_BIN=/usr/bin/qemu-system-x86_64
# microvm boots through qboot; q35/pc through SeaBIOS; -kernel needs the linuxboot option
# ROM, PVH kernels pvh.bin; kvmvapic.bin is loaded by pc machines under KVM.
QEMU_FIRMWARE="/usr/share/qemu/qboot.rom:bios-microvm.bin
/usr/share/qemu/linuxboot_dma.bin:linuxboot_dma.bin
/usr/share/qemu/linuxboot.bin:linuxboot.bin
/usr/share/qemu/pvh.bin:pvh.bin
/usr/share/qemu/kvmvapic.bin:kvmvapic.bin
/usr/share/seabios/bios-256k.bin:bios-256k.bin"

# The peer must be the QEMU installed here: its libraries come from this host.
ensure_qemu() {
  [ -x "$QEMU_BIN" ] && return 0
  [ "$(id -u)" = 0 ] || img_skip "qemu-system-x86 is not installed (and we are not root)"
  img_log "installing qemu-system-x86"
  apt-get install -y -qq qemu-system-x86 >&2 || img_skip "cannot install qemu-system-x86"
}

qemu_key() {
  local p vers=""
  ensure_qemu
  for p in qemu-system-x86 qemu-system-data seabios; do
    vers+="$p=$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null) "
  done
  # ldd prints load addresses, which ASLR changes on every call: keep names and paths only.
  key_of qemu-peer "$vers" "$(ldd "$QEMU_BIN" | awk '{print $1, $3}')" "$QEMU_FIRMWARE" \
    "${BUILD_INPUTS[@]}"
}

build_qemu() {
  local out=$1 fw="$1/root/usr/share/virt-lite-qemu" line
  copy_with_closure "$QEMU_BIN" "$out/root"
  mkdir -p "$fw"
  while IFS=: read -r src dst; do
    cp -L "$src" "$fw/$dst"
  done <<<"$QEMU_FIRMWARE"
}

target_qemu_peer() {
  local dir
  dir=$(cache_entry qemu-peer "$(qemu_key)" build_qemu)
  echo "$dir/root"
}

usage() {
  sed -n '3,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local want_key=0 dir
  [ "${1:-}" = --key ] && { want_key=1; shift; }
  [ $# -eq 1 ] || usage
  [ "$1" = qemu-peer ] || resolve_packages
  case $1 in
    kernel-generic|kernel-cloud)
      if [ $want_key = 1 ]; then
        kernel_key "${1#kernel-}"
      else
        dir=$(kernel_dir "${1#kernel-}")
        echo "$dir/vmlinuz"
      fi ;;
    initramfs-guest)
      if [ $want_key = 1 ]; then guest_key; else target_initramfs_guest; fi ;;
    initramfs-l1)
      if [ $want_key = 1 ]; then l1_key; else target_initramfs_l1; fi ;;
    qemu-peer)
      if [ $want_key = 1 ]; then qemu_key; else target_qemu_peer; fi ;;
    *) usage ;;
  esac
}

main "$@"
