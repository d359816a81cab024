#!/bin/bash
# check-rooms.sh: enforces which room of src/ may include what (docs/architecture.md).
#   util   -> libc, glib
#   launch -> util
#   conf   -> launch, util, libxml2
#   driver -> conf, launch, util, libvirt (the only room that sees libvirt)
#   vmm    -> launch, util, linux/kvm.h
#   ns     -> launch, util, libnl-3
# Quoted includes must name a header of an allowed room; a quoted header found in no room is
# a libvirt internal header and only src/driver may use it.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top/src" || exit 1

declare -A allowed=(
  [util]="util"
  [launch]="launch util"
  [conf]="conf launch util"
  [driver]="driver conf launch util"
  [vmm]="vmm launch util"
  [ns]="ns launch util"
)
declare -A system_ok=(
  [conf]="libxml/"
  [driver]="libxml/ libvirt/"
  [vmm]="linux/kvm.h"
  [ns]="netlink/"
)
forbidden_system="libvirt/ libxml/ netlink/ linux/kvm.h"

# header basename -> room; a name in two rooms would make the check ambiguous
declare -A owner=()
status=0
while read -r h; do
  room=${h%%/*}; base=${h##*/}
  if [ -n "${owner[$base]:-}" ] && [ "${owner[$base]}" != "$room" ]; then
    echo "header $base exists in both src/${owner[$base]} and src/$room"; status=1
  fi
  owner[$base]=$room
done < <(find util launch conf driver vmm ns -name '*.h' 2>/dev/null | sort)

while read -r f; do
  room=${f%%/*}
  [ -n "${allowed[$room]:-}" ] || continue
  while IFS= read -r line; do
    inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]+)[>"].*/\1\2/' <<<"$line")
    kind=${inc:0:1}; name=${inc:1}
    if [ "$kind" = '"' ]; then
      base=${name##*/}
      [ "$base" = "lite-config.h" ] && continue
      dep=${owner[$base]:-}
      if [ -z "$dep" ]; then
        [ "$room" = driver ] && continue
        echo "$f: includes \"$name\", which is no header of ours (libvirt internals are for src/driver only)"; status=1
      elif [[ " ${allowed[$room]} " != *" $dep "* ]]; then
        echo "$f: src/$room may not include \"$name\" from src/$dep"; status=1
      fi
    else
      for p in $forbidden_system; do
        if [[ "$name" == "$p"* ]] && [[ " ${system_ok[$room]:-} " != *" $p "* ]]; then
          echo "$f: src/$room may not include <$name>"; status=1
        fi
      done
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include' "$f")
done < <(find util launch conf driver vmm ns -name '*.[ch]' 2>/dev/null | sort)

[ $status -eq 0 ] && echo "room boundaries hold"
exit $status
