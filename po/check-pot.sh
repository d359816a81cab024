#!/bin/bash
# check-pot.sh: the message catalog template builds from po/POTFILES and holds the
# messages users see (a source file missing from POTFILES would go untranslated).
set -euo pipefail
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top"
xgettext --package-name=virt-lite --from-code=UTF-8 --keyword=_ --keyword=N_ \
  --keyword=conf_fail:3 --files-from=po/POTFILES -o "$tmp/virt-lite.pot"
for needle in "the lite driver is not running" "is not supported for %s: %s" \
              "lite VMs have no display; the console is the serial port"; do
  grep -qF "$needle" "$tmp/virt-lite.pot" || { echo "POT lacks: $needle"; exit 1; }
done
# Every file with marked messages is listed.
missing=$(grep -lE '(^|[^a-zA-Z_])(N?_|conf_fail)\(' src/*/*.c src/*/*.h | grep -vxF -f po/POTFILES | grep -v '/i18n.h$\|lite_i18n.h$' || true)
if [ -n "$missing" ]; then
  echo "files with translatable messages missing from po/POTFILES: $missing"
  exit 1
fi
echo "POT has $(grep -c '^msgid ' "$tmp/virt-lite.pot") messages"
