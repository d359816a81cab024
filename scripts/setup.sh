#!/bin/bash
# setup.sh: the README's first command. On Debian 12, as root: installs every package,
# builds, installs, starts virtlited, and boots a demo VM and a demo container (demo.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
require_root

install_packages
build_tree "$top" "$top/build"
lite_log "installing"
meson install -C "$top/build" --no-rebuild >/dev/null
# The shipped config is an example; an admin's edited one is never overwritten.
[ -f /etc/libvirt/virtlited.conf ] ||
  install -m 0644 "$top/src/daemon/virtlited.conf" /etc/libvirt/virtlited.conf

"$top/scripts/virtlited-service.sh" restart
virsh -c lite:///system version

"$top/scripts/demo.sh"
