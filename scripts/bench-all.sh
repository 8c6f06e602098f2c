#!/usr/bin/env bash
# Every benchmark under bench/ (npm run bench). The lab ones need root.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx bench/validate.bench.ts
npx tsx bench/validate-hostile.bench.ts
npx tsx bench/browser/editor-edit.bench.ts
npx tsx bench/vip-notify.bench.ts 20
if [ "$(id -u)" = 0 ]; then
  npx tsx bench/base-image.bench.ts
  npx tsx bench/lab-provision.bench.ts
  npx tsx bench/vmware-provision.bench.ts
  npx tsx bench/drill-detection.bench.ts 3
  npx tsx bench/redis-failover.bench.ts 2
  npx tsx bench/pg-failover.bench.ts 2
  bash scripts/incus/setup.sh && npx tsx bench/incus-provision.bench.ts
else
  echo "(lab benchmarks skipped: they boot real Linux-lab VMs and need root)"
fi
