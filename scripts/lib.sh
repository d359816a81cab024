#!/bin/bash
# lib.sh: what setup.sh and test.sh share: packages, the libvirt source, the build.
# Sourced, not run. Every step is idempotent: running it twice changes nothing the second time.

# Every Debian package the build, the tests, the benchmarks and the demo need, and why.
LITE_PACKAGES=(
  # build: meson + C toolchain; libvirt's daemon sources need these to configure and compile
  dpkg-dev meson ninja-build gcc pkg-config gettext
  libglib2.0-dev libxml2-dev libxml2-utils libgnutls28-dev libtirpc-dev xsltproc
  libvirt-dev libnl-3-dev libnl-route-3-dev
  # run and test: virsh, python-libvirt, sysinfo, and libvirtd for pool-list/net-list and
  # <interface type='network'> (its network driver applies firewall rules with iptables)
  libvirt-clients python3-libvirt dmidecode libvirt-daemon iptables
  # tools the tests and images use: container roots (busybox, debootstrap), networks
  iproute2 procps iputils-ping busybox-static debootstrap
  # lite-vmm's ACPI tables are checked by disassembling them (iasl)
  acpica-tools
  # benchmark peers measured in the same run (bench/), and the nested KVM test tier
  crun lxc qemu-system-x86
  # the nested tier packs its L1 initramfs (cpio) and talks to control sockets (socat)
  cpio socat
  # the systemd units are verified and socket-activated with systemd's own tools (the
  # package alone: it does not become init without systemd-sysv)
  systemd
)

lite_log() {
  printf '\033[1m==> %s\033[0m\n' "$*" >&2
}

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "run this as root (it installs packages and starts virtlited)" >&2
    exit 1
  fi
}

# apt-get source needs a deb-src entry; a fresh Debian 12 has none. Add a deb-src copy of
# every deb entry the machine already uses (never a hard-coded mirror).
add_deb_src() {
  local out=/etc/apt/sources.list.d/virt-lite-deb-src.sources
  local legacy=/etc/apt/sources.list.d/virt-lite-deb-src.list
  [ -f "$out" ] || [ -f "$legacy" ] && return 1
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /(^|\n)Types:[ \t]*deb[ \t]*(\n|$)/ { sub(/Types:[ \t]*deb[ \t]*\n/, "Types: deb-src\n"); print }' \
      /etc/apt/sources.list.d/debian.sources > "$out.tmp"
    mv "$out.tmp" "$out"
  elif [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list > "$legacy.tmp"
    mv "$legacy.tmp" "$legacy"
  else
    echo "no apt sources found to derive a deb-src entry from" >&2
    exit 1
  fi
  return 0
}

install_packages() {
  local missing=() p
  for p in "${LITE_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  if add_deb_src || [ ${#missing[@]} -gt 0 ] ||
     ! apt-cache showsrc libvirt >/dev/null 2>&1; then
    lite_log "updating apt (deb-src included)"
    apt-get update -q
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    lite_log "installing ${missing[*]}"
    # --no-install-recommends: python3-libvirt would otherwise pull QEMU and systemd.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# Configures (or reconfigures) and compiles BUILD against the prepared libvirt tree.
build_tree() {
  local top=$1 build=$2 tree
  local log="$build.setup.log"
  tree=$("$top/scripts/libvirt-source.sh")
  if [ -f "$build/build.ninja" ]; then
    set -- --reconfigure
  else
    set --
  fi
  if ! meson setup "$@" "$build" "$top" -Dlibvirt_tree="$tree" -Dwerror=true >"$log" 2>&1; then
    cat "$log" >&2
    return 1
  fi
  lite_log "building"
  ninja -C "$build"
}
