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

# Packages: Chromium for Playwright, sshd for the guest-module tests, and the
# real tools the config tests run.
want=(chromium fonts-nanum openssh-server)
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
  # Packaged daemons must not start on the host itself (tests start their own
  # on 127.0.0.1 or inside lab namespaces): policy-rc.d forbids it during install.
  policy=/usr/sbin/policy-rc.d
  had_policy=0; [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || { [ "$had_policy" = 1 ] || rm -f "$policy"; exit 1; }
  [ "$had_policy" = 1 ] || rm -f "$policy"
else
  echo "setup: Debian packages present"
fi

bash scripts/linux-lab/setup.sh
bash scripts/incus/setup.sh
