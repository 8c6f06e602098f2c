#!/usr/bin/env bash
# Prepare this machine for the Incus/LXD provider (run as root): Debian's LXD
# 5.0 installed (only if missing), its daemon started when nothing runs it
# (there may be no systemd here), initialised once with a `dir` storage pool
# and NO default network (never lxdbr0 with NAT: lab networks are made by
# halab, guarded, without NAT), the kernel's per-user key and inotify limits
# raised for many containers, then the lab image imported from the Linux
# lab's base root filesystem under its alias. Idempotent; seconds when done.
#   bash scripts/incus/setup.sh
# An existing Incus daemon (/var/lib/incus/unix.socket) is used as it is: the
# script only checks it and imports the image.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
  echo "incus setup: must run as root (try: sudo bash scripts/incus/setup.sh)" >&2
  exit 1
fi

incus_sock=/var/lib/incus/unix.socket
lxd_sock=/var/lib/lxd/unix.socket

if [ ! -S "$incus_sock" ]; then
  missing=()
  for p in lxd lxd-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "incus setup: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  # Start the daemon ourselves when it does not answer (no systemd as PID 1 here).
  if ! lxc --quiet info >/dev/null 2>&1; then
    mkdir -p /var/log/lxd
    echo "incus setup: starting lxd (log /var/log/lxd/lxd.log)"
    # The daemon outlives this script: it must not inherit any descriptor of ours (under
    # `flock /run/halab-lab.lock` that would hold the lab lock for as long as LXD runs).
    (
      for fd in /proc/self/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
      # Nor a working directory that may be deleted (a checkout, a worktree): its rsync for
      # snapshots then fails with "getcwd(): No such file or directory".
      cd /
      exec setsid nohup lxd --group lxd --logfile /var/log/lxd/lxd.log >/var/log/lxd/lxd.out 2>&1 < /dev/null
    ) &
    for _ in $(seq 1 120); do
      [ -S "$lxd_sock" ] && lxd waitready --timeout 2 >/dev/null 2>&1 && break
      sleep 0.5
    done
    lxd waitready --timeout 30 || { echo "incus setup: lxd did not become ready; see /var/log/lxd/lxd.log" >&2; tail -20 /var/log/lxd/lxd.log >&2 || true; exit 1; }
  fi
  # Initialise once: a dir storage pool named default, no network at all.
  if ! lxc --quiet storage show default >/dev/null 2>&1; then
    echo "incus setup: lxd init (dir storage pool 'default', no network)"
    lxd init --preseed <<'YAML'
config: {}
networks: []
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
YAML
  fi
  if lxc --quiet network show lxdbr0 >/dev/null 2>&1; then
    echo "incus setup: WARNING lxdbr0 exists on this host (made outside halab); halab never uses it" >&2
  fi
fi

# Kernel limits for many containers. Every unprivileged container's root is the same host uid,
# so all containers share one per-user quota of kernel keys (systemd gives each unit a keyring)
# and of inotify instances; Debian's defaults (200 keys, 128 instances) run out at about nine
# containers, and then units inside fail to start at random. The inotify values are those
# Debian/openSUSE's lxd packages ship (LXD's "server settings for a production setup"); the key
# limits are higher than their 2000, since each of the lab's containers takes about 25 keys:
# 10000 keys hold 400 containers (about 66 seed labs, more than 24 GiB of memory holds).
# Kept across reboots.
sysctl_file=/etc/sysctl.d/60-halab-incus.conf
{
  echo "# Written by HA Lab Studio's scripts/incus/setup.sh: room for many LXD/Incus containers."
  for kv in fs.inotify.max_queued_events=131072 fs.inotify.max_user_instances=131072 fs.inotify.max_user_watches=131072 kernel.keys.maxkeys=10000 kernel.keys.maxbytes=2500000; do
    key=${kv%%=*} want=${kv#*=}
    have=$(sysctl -n "$key" 2>/dev/null || echo 0)
    # Only ever raised: a machine set higher keeps its value.
    echo "$key = $(( have > want ? have : want ))"
  done
} > "$sysctl_file"
if ! sysctl -q -p "$sysctl_file" >/dev/null; then
  echo "incus setup: WARNING could not apply $sysctl_file (read-only /proc/sys?); about nine containers at once is the limit here" >&2
fi

# The lab image: the Linux lab's base rootfs (built by scripts/linux-lab/setup.sh), imported once.
npx --no-install tsx scripts/incus/ensure-image.ts
