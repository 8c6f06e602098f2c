/**
 * What a failover drill is made of, and the helpers the drill files share.
 * A drill lives in its own `drills/<topic>-drills.ts` and is registered in
 * `catalog.ts` with one line. Every text a drill says is a catalog message
 * (`msg(code, args)`, codes in `shared/i18n/messages-<domain>.ts`, English
 * and Korean): the title, the hypothesis, what the fault did, each check's
 * name and detail (`check(nameMsg, ok, detailMsg)`) and the notes.
 */
import type { RenderContext } from '../configs/context';
import type { Hypervisor, LabRef } from '../hypervisor/types';
import type { LabMonitor } from '../monitor/lab-monitor';
import type { GuestPool } from '../lab/guest-pool';
import type { DrillName } from '../shared/blueprint/schema';
import { msg, type Message } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import { check, type Check, type DataLoss, type DrillMeasurements, type RecoveryTime } from '../shared/drills/report';

export { check, msg };
export type { Check, DataLoss, DrillMeasurements, Message, RecoveryTime };

export interface DrillEnv {
  hv: Hypervisor;
  lab: LabRef;
  ctx: RenderContext;
  pool: GuestPool;
  monitor: LabMonitor;
  /** A progress line (the task's step in the UI, a line in the CLI). */
  log(line: Message): void;
  /** Notes for the report. */
  notes: Message[];
  /** Epoch ms of the fault. */
  faultAt: number;
  /** Epoch ms when restore started. */
  restoreAt: number;
  /** Extra measurements a drill records (promotion time, VIP back…). */
  extra: Partial<DrillMeasurements>;
  /** Why a db promotion was refused, if it was. */
  refused?: Message[];
  /** App servers that answered requests sent after the fault was in place. */
  servedAfterFault: Set<string>;
  /** db-primary-down: promote despite missing transactions (`--force-promotion`). */
  forcePromotion?: boolean;
}

export interface DrillDef {
  name: DrillName;
  title: Message;
  hypothesis(ctx: RenderContext): Message;
  /**
   * Which answers are right, by phase: before the fault, while it is being
   * injected (either is accepted there), after it is in place.
   */
  expectStatus?(kind: 'read' | 'write', status: number, phase: 'before' | 'after'): boolean;
  /** Inject the fault; says what was done. */
  inject(env: DrillEnv): Promise<Message>;
  /** True once the lab has absorbed the fault. */
  recovered(env: DrillEnv): Promise<boolean>;
  /** How long `recovered` may take (default 30 s). */
  recoveryTimeoutMs?: number;
  restore(env: DrillEnv): Promise<void>;
  /** True once restored (checked after restore, bounded). */
  restored(env: DrillEnv): Promise<boolean>;
  /** Record the VIP's way back to its master as `vipBackMs` (drills that move the VIP). */
  vipBack?: boolean;
  expectations(env: DrillEnv, m: DrillMeasurements): Check[];
  /**
   * Acknowledged writes missing at the end (rows, keys…), given the numbers
   * the load had acknowledged. Default: reservations missing from the
   * MySQL/MariaDB primary (undefined without a database).
   */
  countLost?(env: DrillEnv, acknowledged: string[]): Promise<number | undefined>;
  /** RTO as this drill measures it. Default: the first successful request after the fault. */
  recoveryTime?(env: DrillEnv, m: DrillMeasurements): RecoveryTime;
  /** RPO as this drill measures it. Default: acknowledged reservations lost (`rowsLost`). */
  dataLoss?(env: DrillEnv, m: DrillMeasurements): DataLoss;
  /** A planned outage (maintenance): not counted in the availability estimate. */
  planned?: boolean;
}

/** Default RTO: fault → the first successful request after it. */
export function firstSuccessRecovery(m: DrillMeasurements): RecoveryTime {
  return { ms: m.firstSuccessAfterFaultMs, basis: msg('drill.rto.firstSuccess') };
}

/** Default RPO: acknowledged reservations missing from the database at the end. */
export function rowsLostLoss(m: DrillMeasurements): DataLoss {
  return m.rowsLost === undefined ? { basis: msg('drill.rpo.noDatabase') } : { lost: m.rowsLost, basis: msg('drill.rpo.rows') };
}

/** An error a drill reports to the student: its message in the catalog; `refused` when the drill never started. */
export class DrillError extends MessageError {
  override name = 'DrillError';
  constructor(
    m: Message,
    readonly refused = false,
  ) {
    super(m);
  }
}

/** Messages joined with "; " (nested, so each is rendered in the reader's language). */
export function joinMsgs(items: readonly Message[], empty: Message = msg('drill.none')): Message {
  if (items.length === 0) return empty;
  return items.slice(0, -1).reduceRight<Message>((rest, m) => msg('drill.join', { a: m, b: rest }), items.at(-1)!);
}

/** The lab's first VIP group (the drills that move a VIP need one). */
export const vip0 = (ctx: RenderContext) => {
  const v = ctx.lab.lab.services.vips[0];
  if (!v) throw new DrillError(msg('drill.error.noVip'), true);
  return v;
};

/** The member that should hold the VIP (highest priority) and the next one. */
export const vipRoles = (ctx: RenderContext) => {
  const sorted = [...vip0(ctx).members].sort((a, b) => b.priority - a.priority);
  return { master: sorted[0]!, backup: sorted[1]! };
};

/** The VIP is held by `node` alone, as the shared monitor's judge says. */
export const holdsOnly = (env: DrillEnv, node: string) => {
  const h = env.monitor.holders(vip0(env.ctx).name);
  return h.length === 1 && h[0] === node;
};

/** A command on a guest over the lab's SSH pool (2 min at most). */
export const exec = async (env: DrillEnv, vm: string, argv: string[]) => (await env.pool.get(vm)).exec(argv, { timeoutMs: 120_000 });
