#!/bin/bash
# lib.sh: helpers shared by the image scripts (cache keys, Debian package fetches, cpio, ldd closures).
# Sourced, never run. Callers have `set -euo pipefail`.

# Everything built lives outside the source tree so that a fresh clone, a second worktree and
# CI all reuse one copy; VIRT_LITE_IMAGE_CACHE relocates it (e.g. for an unprivileged user).
IMAGES_CACHE=${VIRT_LITE_IMAGE_CACHE:-/var/cache/virt-lite/images}
IMAGES_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Exit status for "the environment cannot provide this" (meson's skip code): callers pass it
# on so that a host without the Debian archive skips instead of failing.
IMAGES_SKIP=77

img_log() { echo "images: $*" >&2; }
img_die() { img_log "error: $*"; exit 1; }
img_skip() { img_log "skip: $*"; exit "$IMAGES_SKIP"; }

# Sets PKG_NAME[x] and PKG_VER[x] for x = generic, cloud (the versioned kernel package that
# linux-image-amd64 / linux-image-cloud-amd64 point at today: the key must change when Debian
# moves a metapackage to a new ABI) and busybox. apt-cache takes about a second per call on
# these lists, so the answer is memoised until the lists change.
declare -A PKG_NAME=() PKG_VER=()
resolve_packages() {
  local memo="$IMAGES_CACHE/.resolved" stamp x n v
  stamp=$(stat -c %Y /var/lib/apt/lists/*Packages* 2>/dev/null | sort -n | tail -n1)
  if [ -z "$stamp" ]; then
    img_log "no apt lists yet: running apt-get update"
    apt-get update -qq >&2 || img_skip "apt-get update failed (no Debian archive reachable?)"
    stamp=$(stat -c %Y /var/lib/apt/lists/*Packages* 2>/dev/null | sort -n | tail -n1)
  fi
  if [ ! -f "$memo" ] || [ "$(head -n1 "$memo")" != "lists $stamp" ]; then
    mkdir -p "$IMAGES_CACHE"
    { echo "lists $stamp"; resolve_from_apt; } >"$memo.$$"
    mv "$memo.$$" "$memo"
  fi
  while read -r x n v; do
    [ "$x" = lists ] && continue
    PKG_NAME[$x]=$n PKG_VER[$x]=$v
  done <"$memo"
  for x in generic cloud busybox; do
    [ -n "${PKG_VER[$x]:-}" ] && [ "${PKG_VER[$x]}" != "(none)" ] ||
      img_skip "no Debian package for $x (${PKG_NAME[$x]:-?})"
  done
}

# Prints "x package version" lines; two apt-cache calls in all.
resolve_from_apt() {
  local generic cloud
  read -r generic cloud < <(apt-cache depends linux-image-amd64 linux-image-cloud-amd64 |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {printf "%s ", $2} END {print ""}')
  apt-cache policy "$generic" "$cloud" busybox-static |
    awk -v g="$generic" -v c="$cloud" '
      /^[^ ].*:$/ {pkg = substr($1, 1, length($1) - 1)}
      $1 == "Candidate:" {
        x = pkg == g ? "generic" : pkg == c ? "cloud" : pkg == "busybox-static" ? "busybox" : ""
        if (x != "") print x, pkg, $2
      }'
}

# Download PKG=VERSION into the shared deb cache (once) and print the .deb path.
# apt's sandbox user cannot write to root-owned dirs; we are root anyway, so skip the drop.
fetch_deb() {
  local pkg=$1 ver=$2 dir="$IMAGES_CACHE/debs" f
  mkdir -p "$dir"
  f=$(for d in "$dir/${pkg}"_*.deb; do
        [ -f "$d" ] && [ "$(dpkg-deb -f "$d" Version)" = "$ver" ] && echo "$d"
      done | head -n1)
  if [ -z "$f" ]; then
    img_log "downloading $pkg=$ver"
    (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
      img_skip "apt-get download $pkg=$ver failed"
    f=$(fetch_deb "$pkg" "$ver")
  fi
  echo "$f"
}

# Extract only the members matching the given tar wildcards (a kernel package is ~400 MB of
# modules; we need a handful of files).
deb_extract() {
  local deb=$1 dest=$2; shift 2
  mkdir -p "$dest"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" --wildcards "$@"
}

# A short stable hash of strings and files: the cache key.
key_of() {
  local item
  for item in "$@"; do
    if [ -f "$item" ]; then
      printf 'file %s %s\n' "${item##*/}" "$(sha256sum <"$item" | cut -c1-64)"
    else
      printf 'str %s\n' "$item"
    fi
  done | sha256sum | cut -c1-16
}

# newc cpio of a directory, owned by root, entries sorted so that equal inputs give equal
# archives. Left uncompressed on purpose: under TCG every guest instruction is emulated, and
# a gunzip in the L1 or L2 kernel costs more than copying a few more megabytes.
make_cpio() {
  local root=$1 out=$2
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
     cpio -o -H newc -R 0:0 --quiet) >"$out"
}

# Copy a dynamically linked program and its ldd closure into ROOT at their host paths, so that
# it runs there unchanged (the loader finds the libraries in the multiarch default paths).
copy_with_closure() {
  local bin=$1 root=$2 f
  [ -x "$bin" ] || img_die "$bin is not an executable"
  for f in "$bin" $(ldd "$bin" 2>/dev/null |
                      awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$root$(dirname "$f")"
    cp -L --preserve=mode "$f" "$root$f"
  done
}

# Run BODY (a function name) to build a cache entry TARGET/KEY unless it is already there, and
# print the entry's directory. The build happens in a temp dir renamed into place at the end,
# under a lock, so a concurrent or interrupted build never leaves a half entry behind.
cache_entry() {
  local target=$1 key=$2 body=$3 dir="$IMAGES_CACHE/$1" tmp rc lockfd
  mkdir -p "$dir"
  if [ ! -d "$dir/$key" ]; then
    exec {lockfd}>"$dir/.lock"
    flock -w 600 "$lockfd" || img_die "timed out waiting for the lock on $dir"
    if [ ! -d "$dir/$key" ]; then
      tmp=$(mktemp -d "$dir/.build.XXXXXX")
      img_log "building $target ($key)"
      # errexit is off inside an `if` or `||`, subshells included: turn it off around the
      # subshell instead, so that it stays on for the body.
      set +e
      (set -e; "$body" "$tmp")
      rc=$?
      set -e
      if [ "$rc" -ne 0 ]; then
        rm -rf "$tmp"
        [ "$rc" -eq "$IMAGES_SKIP" ] && exit "$IMAGES_SKIP"
        img_die "building $target failed"
      fi
      chmod 0755 "$tmp"
      mv "$tmp" "$dir/$key"
      ln -sfn "$key" "$dir/latest"
    fi
    exec {lockfd}>&-
  fi
  echo "$dir/$key"
}

# The path build.sh prints for TARGET. Use it in an assignment (p=$(image_path X)): a failed
# build then ends the caller with build.sh's status, 77 (skip) included.
image_path() {
  local p rc=0
  p=$("$IMAGES_SRC/build.sh" "$1") || rc=$?
  [ "$rc" = 0 ] || { img_log "build.sh $1 failed ($rc)"; exit "$rc"; }
  echo "$p"
}
