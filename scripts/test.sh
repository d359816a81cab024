#!/bin/bash
# test.sh: the README's second command: installs what the tests need, builds, and runs the
# whole test suite (unit, golden, functional, rooms). The tests use a private virtlited of
# their own, never the system instance.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
require_root

install_packages
build_tree "$top" "$top/build"
lite_log "testing"
meson test -C "$top/build" --print-errorlogs "$@"
