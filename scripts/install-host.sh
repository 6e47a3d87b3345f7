#!/usr/bin/env bash
# Installs Palisade on this host as a systemd service: the binary, the default
# rules, the unit and its settings file, then enables and starts the unit.
#
#   scripts/install-host.sh [--binary PATH] [--no-start]
#
# Without --binary it builds a Release binary into build-install/ first
# (installing the build packages). DESTDIR=/some/dir stages the files there
# instead (for packaging; nothing is enabled or started then). PREFIX
# (default /usr/local) is where the binary and the rules go.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
binary=""
start=1
while (($#)); do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-host: unknown argument $1" >&2; exit 2 ;;
  esac
done

rules_dir="$prefix/share/palisade/rules"
if [[ -z $binary ]]; then
  scripts/install-deps.sh
  # The binary's default rules are where this script puts them.
  cmake -S . -B build-install -G Ninja -DCMAKE_BUILD_TYPE=Release -DPALISADE_TESTS=OFF \
    -DPALISADE_DEFAULT_RULES="$rules_dir/palisade_rules.yaml" >/dev/null
  BUILD_DIR=build-install BUILD_TYPE=Release scripts/build.sh
  binary=build-install/palisade
fi
[[ -x $binary ]] || { echo "install-host: $binary is not an executable" >&2; exit 1; }
"$binary" rules validate rules/palisade_rules.yaml >/dev/null

install -D -m 0755 "$binary" "$destdir$prefix/bin/palisade"
install -d -m 0755 "$destdir$rules_dir" "$destdir/etc/palisade/rules.d"
install -m 0644 rules/*.yaml "$destdir$rules_dir/"
# The unit names /usr/local; another PREFIX is written into the installed copy.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed "s#/usr/local/#$prefix/#g" deploy/systemd/palisade.service >"$tmp"
install -D -m 0644 "$tmp" "$destdir/etc/systemd/system/palisade.service"
# The settings file is the administrator's once installed: never overwritten.
if [[ ! -e $destdir/etc/palisade/palisade.conf ]]; then
  sed "s#/usr/local/#$prefix/#g" deploy/systemd/palisade.conf >"$tmp"
  install -D -m 0644 "$tmp" "$destdir/etc/palisade/palisade.conf"
fi
echo "install-host: installed $prefix/bin/palisade, $rules_dir, /etc/systemd/system/palisade.service${destdir:+ under $destdir}"

if [[ -n $destdir || $start -eq 0 ]]; then
  exit 0
fi
if [[ ! -d /run/systemd/system ]]; then
  echo "install-host: systemd is not running here; start the agent with: $prefix/bin/palisade run" >&2
  exit 0
fi
systemctl daemon-reload
systemctl enable --now palisade.service
systemctl --no-pager --lines=5 status palisade.service || true
echo "install-host: alerts: journalctl -u palisade -o cat -f; settings: /etc/palisade/palisade.conf"
