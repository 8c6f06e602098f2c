/**
 * The one judge of who holds a VIP. Pure: it folds two kinds of evidence,
 * in the order they arrive, into the holders of each VIP group and a
 * timeline of changes.
 *
 * - A **poll** asked one member whether the address is on its NIC. It is
 *   evidence as of the moment it was *sent* (`startedAt`): the answer may
 *   describe any instant between sending and receiving, so a poll that was
 *   sent before a notify and answers after it is older than that notify.
 * - A **notify** is keepalived's own report of a member's state (the notify
 *   script's log line). MASTER means the member has just added the address;
 *   BACKUP, FAULT and STOP that it has removed it. Its time (`at`) is when
 *   the host learned of it (or keepalived's timestamp, when older: the
 *   last line of the log read on connecting describes the past).
 *
 * Rules:
 * 1. Per member, only the newest evidence counts; older evidence arriving
 *    later (a stale poll) is ignored.
 * 2. A MASTER notify on X makes X the holder at once, and every other
 *    member's "holds" evidence older than that notify is superseded: VRRP
 *    elects a new master only when the old one has gone silent. A poll sent
 *    after the notify that still finds the address on another member is
 *    newer evidence, and both are holders: split brain.
 *
 * Used by the live monitor (`LabMonitor`), by provisioning's verify step
 * on its one-shot poll, and through the monitor by the dashboard and drills.
 * Browser-safe.
 */

export interface HolderPoll {
  kind: 'poll';
  vip: string;
  node: string;
  /** The address is on the member's NIC (false also when the member did not answer). */
  holds: boolean;
  /** When the poll was sent (the time of its evidence). */
  startedAt: number;
  /** When its answer came (the time of the change it may cause). */
  at: number;
}

export interface HolderNotify {
  kind: 'notify';
  vip: string;
  node: string;
  /** keepalived's state: MASTER, BACKUP, FAULT, STOP (others are recorded but say nothing about the address). */
  state: string;
  /** The time of its evidence (see the module comment). */
  at: number;
}

export type HolderInput = HolderPoll | HolderNotify;

/** One change of a VIP's holders. */
export interface HolderChange {
  vip: string;
  at: number;
  from: string[];
  to: string[];
  /** The evidence that caused it. */
  cause: 'poll' | 'notify';
  /** The member that evidence was about. */
  node: string;
}

interface Evidence {
  holds: boolean;
  at: number;
}

export interface VipJudgement {
  vip: string;
  members: string[];
  holders: string[];
  /** When the holders last changed. */
  since?: number;
  /** Every member has given evidence at least once (before that, an empty holder list means "not known yet"). */
  known: boolean;
  /** keepalived's last reported state per member. */
  states: Record<string, { state: string; at: number }>;
  evidence: Record<string, Evidence>;
  /** The newest MASTER notify per member. */
  masterAt: Record<string, number>;
}

export type JudgeState = Record<string, VipJudgement>;

const HOLDS: Record<string, boolean> = { MASTER: true, BACKUP: false, FAULT: false, STOP: false };

/** The judge before any evidence: VIP group name → its members. */
export function initialJudge(vips: readonly { name: string; members: readonly string[] }[]): JudgeState {
  const out: JudgeState = {};
  for (const v of vips) out[v.name] = { vip: v.name, members: [...v.members], holders: [], known: false, states: {}, evidence: {}, masterAt: {} };
  return out;
}

/** Members whose newest evidence says they hold the address and is not superseded by another member's MASTER notify. */
function holdersOf(j: VipJudgement): string[] {
  return j.members.filter((m) => {
    const e = j.evidence[m];
    if (!e?.holds) return false;
    return j.members.every((n) => n === m || (j.masterAt[n] ?? -Infinity) <= e.at);
  });
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Fold one piece of evidence. Returns the new state (the old one is not
 * changed) and the change of holders it caused, if any.
 */
export function judgeStep(state: JudgeState, input: HolderInput): { state: JudgeState; change?: HolderChange } {
  const j = state[input.vip];
  if (!j || !j.members.includes(input.node)) return { state };
  const next: VipJudgement = { ...j, evidence: { ...j.evidence }, masterAt: { ...j.masterAt }, states: { ...j.states } };
  const prev = j.evidence[input.node];
  if (input.kind === 'notify') {
    if (input.at >= (j.states[input.node]?.at ?? -Infinity)) next.states[input.node] = { state: input.state, at: input.at };
    const holds = HOLDS[input.state];
    if (holds === undefined || (prev && input.at < prev.at)) return { state: { ...state, [input.vip]: next } };
    next.evidence[input.node] = { holds, at: input.at };
    if (holds) next.masterAt[input.node] = Math.max(input.at, j.masterAt[input.node] ?? -Infinity);
  } else {
    if (prev && input.startedAt < prev.at) return { state };
    next.evidence[input.node] = { holds: input.holds, at: input.startedAt };
  }
  next.known = next.members.every((m) => next.evidence[m] !== undefined);
  const holders = holdersOf(next);
  const at = input.at;
  if (sameSet(holders, j.holders)) return { state: { ...state, [input.vip]: { ...next, holders: j.holders } } };
  next.holders = holders;
  next.since = at;
  return { state: { ...state, [input.vip]: next }, change: { vip: input.vip, at, from: j.holders, to: holders, cause: input.kind, node: input.node } };
}

/** Fold a whole sequence of evidence (in arrival order): the holders of each VIP and the timeline of changes. */
export function judgeHolders(vips: readonly { name: string; members: readonly string[] }[], inputs: readonly HolderInput[]): { state: JudgeState; holders: Record<string, string[]>; timeline: HolderChange[] } {
  let state = initialJudge(vips);
  const timeline: HolderChange[] = [];
  for (const i of inputs) {
    const r = judgeStep(state, i);
    state = r.state;
    if (r.change) timeline.push(r.change);
  }
  return { state, holders: Object.fromEntries(Object.values(state).map((j) => [j.vip, j.holders])), timeline };
}
