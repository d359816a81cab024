#!/bin/bash
# rootfs-common.sh: sourced by the container rootfs builders (rootfs-busybox.sh,
# rootfs-debian.sh): logging, the skip exit code, and a cache entry built once under a lock.
# Callers set ROOTFS_NAME and run with `set -euo pipefail`.

# Outside the source tree, so that every worktree, clone and CI run shares one copy.
ROOTFS_CACHE=${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}
ROOTFS_TMP=

rootfs_log() { echo "$ROOTFS_NAME: $*" >&2; }
# 77: meson's "skipped": this machine cannot build the image (no archive, no tool).
rootfs_skip() { rootfs_log "skip: $*"; exit 77; }

# rootfs_cached KEY BUILD: prints the cached tree for KEY, first running `BUILD DIR` (which
# must create DIR/rootfs) in a temp dir renamed into place when done, so that concurrent or
# interrupted builds never leave a half tree behind.
rootfs_cached() {
  local key=$1 build=$2 dir=$ROOTFS_CACHE/$ROOTFS_NAME lock
  if [ ! -d "$dir/$key/rootfs" ]; then
    mkdir -p "$dir"
    exec {lock}>"$dir/.lock"
    flock -w 1800 "$lock" || rootfs_skip "timed out waiting for $dir/.lock"
    if [ ! -d "$dir/$key/rootfs" ]; then
      ROOTFS_TMP=$(mktemp -d "$dir/.build.XXXXXX")
      trap 'rm -rf "$ROOTFS_TMP"' EXIT
      rootfs_log "building $key"
      "$build" "$ROOTFS_TMP"
      mkdir -p "$dir/$key"
      mv "$ROOTFS_TMP/rootfs" "$dir/$key/rootfs"
    fi
    exec {lock}>&-
  fi
  echo "$dir/$key/rootfs"
}
