#!/bin/bash
# libvirt-source.sh: prepares the source tree of exactly the installed libvirt, for the daemon
# and driver to compile against; prints its path. Cached: rebuilt only when libvirt changes.
#
# The tree is $VIRT_LITE_CACHE/libvirt/<debian version>/ with src/ (apt-get source, Debian
# patches applied) and build/ (configured with Debian's paths; only the generated headers the
# daemon and driver compile against are built). Needs a deb-src entry (scripts/setup.sh adds
# one) and the packages from scripts/deps.sh.
set -euo pipefail

cache=${VIRT_LITE_CACHE:-/var/cache/virt-lite}
version=$(dpkg-query -W -f='${Version}' libvirt0)
tree="$cache/libvirt/$version"
# The generated files the daemon (src/daemon) and the driver (src/driver) include.
generated=(
  src/remote/remote_protocol.h src/remote/qemu_protocol.h src/remote/lxc_protocol.h
  src/remote/remote_daemon_dispatch_stubs.h src/remote/qemu_daemon_dispatch_stubs.h
  src/remote/lxc_daemon_dispatch_stubs.h
  src/admin/admin_protocol.h src/admin/admin_protocol.c src/admin/admin_server_dispatch_stubs.h
  src/access/viraccessapicheck.h src/access/viraccessapicheckqemu.h
  src/access/viraccessapichecklxc.h
  src/rpc/virnetprotocol.h src/rpc/virkeepaliveprotocol.h
)

if [ -f "$tree/.prepared" ]; then
  echo "$tree"
  exit 0
fi

echo "preparing libvirt $version source in $tree" >&2
mkdir -p "$cache/libvirt"
work=$(mktemp -d "$cache/libvirt/.prepare-XXXXXX")
trap 'rm -rf "$work"' EXIT
log="$cache/libvirt/prepare.log"
if ! (
  cd "$work"
  # apt drops privileges to _apt for downloads; a root-only cache dir makes it warn, not fail.
  apt-get source -q "libvirt=$version"
  mv "libvirt-${version%%-*}" src
  # Paths are compiled into the daemon: they must be Debian's, or clients look elsewhere.
  meson setup build src --auto-features=disabled \
    -Ddriver_remote=enabled -Ddriver_libvirtd=enabled -Ddocs=disabled -Dtests=disabled \
    --prefix=/usr --libdir=lib/x86_64-linux-gnu --libexecdir=/usr/lib/libvirt \
    --sysconfdir=/etc --localstatedir=/var -Drunstatedir=/run \
    -Dremote_default_mode=legacy
  ninja -C build "${generated[@]}"
  echo "$version" > .prepared
) >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "preparing the libvirt source failed; full log: $log" >&2
  exit 1
fi
rm -rf "$tree"
mv "$work" "$tree"
trap - EXIT
# meson records absolute paths: a moved build dir must be reconfigured in place.
(cd "$tree" && meson setup --reconfigure build src && ninja -C build "${generated[@]}") >>"$log" 2>&1
echo "$tree"
