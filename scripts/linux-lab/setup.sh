#!/usr/bin/env bash
# Prepare this Linux machine for the Linux lab provider (run as root):
# install the host packages it needs (only those missing), then build or find
# the cached base image. Idempotent; a few seconds when everything is there.
#   bash scripts/linux-lab/setup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
  echo "linux-lab setup: must run as root (try: sudo bash scripts/linux-lab/setup.sh)" >&2
  exit 1
fi

# debootstrap builds the base image, systemd-container brings systemd-nspawn,
# dnsmasq-base serves DHCP on lab bridges, iproute2 has ip, procps has pgrep.
want=(debootstrap systemd-container dnsmasq-base iproute2 procps)
missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "linux-lab setup: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "linux-lab setup: host packages present (${want[*]})"
fi

npx --no-install tsx scripts/linux-lab/ensure-base-image.ts
