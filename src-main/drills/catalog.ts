/**
 * Every failover drill, by name. A drill is a `DrillDef` (see
 * `drill-kit.ts`: hypothesis, fault, when the lab counts as recovered, how it
 * is restored, what is expected, and its RTO/RPO) written in its own
 * `drills/<topic>-drills.ts`; register it here with one line, after adding
 * its name to `DRILLS` in `shared/blueprint/schema.ts`. The runner
 * (`runner.ts`) does the rest the same way for all.
 */
import type { DrillName } from '../shared/blueprint/schema';
import type { DrillDef } from './drill-kit';
import { appDown, maintenance } from './app-drills';
import { dbPrimaryDown } from './mysql-drills';
import { lbKeepalivedStop, lbMasterDown, lbNginxStop, splitBrain } from './vip-drills';
import { redisMasterDown } from './cache-drills';
import { pgPrimaryDown } from './pg-drills';

export type { DrillDef, DrillEnv } from './drill-kit';
export { vipRoles } from './drill-kit';

export const DRILL_DEFS: Record<DrillName, DrillDef> = {
  'lb-master-down': lbMasterDown,
  'lb-nginx-stop': lbNginxStop,
  'lb-keepalived-stop': lbKeepalivedStop,
  'app-down': appDown,
  'db-primary-down': dbPrimaryDown,
  'split-brain': splitBrain,
  maintenance,
  'redis-master-down': redisMasterDown,
  'pg-primary-down': pgPrimaryDown,
};
