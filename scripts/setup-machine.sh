#!/usr/bin/env bash
# Install what the whole test suite needs on a fresh Debian/Ubuntu machine,
# as root: Debian packages (config checkers, Chromium for the UI tests, the
# Linux lab provider's tools) and the lab base image (built once, cached
# outside the repo in ${HALAB_CACHE_DIR:-/var/cache/halab}). Idempotent and
# quick when everything is already there.
#   sudo bash scripts/setup-machine.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (sudo bash scripts/setup-machine.sh): it installs packages and builds the lab base image" >&2
  exit 1
fi

# Packages: Chromium for Playwright, and the real tools the config tests run.
want=(chromium)
if [ -f scripts/ci-apt-packages.txt ]; then
  while read -r p; do
    p="${p%%#*}"; p="${p// /}"
    [ -n "$p" ] && want+=("$p")
  done < scripts/ci-apt-packages.txt
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Packaged daemons must not run on the host itself (tests start their own on 127.0.0.1).
  for svc in nginx keepalived mariadb prometheus prometheus-alertmanager prometheus-node-exporter; do
    if [ -x "/etc/init.d/$svc" ]; then "/etc/init.d/$svc" stop >/dev/null 2>&1 || true; fi
  done
else
  echo "setup: Debian packages present"
fi

bash scripts/linux-lab/setup.sh
