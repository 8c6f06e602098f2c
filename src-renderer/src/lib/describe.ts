/**
 * Names things the way a student does: a blueprint path becomes
 * "lb-master's first NIC · Address" rather than nodes[2].nics[0].address
 * (the logic lives in src-main/shared/i18n/describe.ts, shared with the
 * CLI), and a canvas line names its two ends. Pure.
 */
import { describePath as describeShared } from '../../../src-main/shared/i18n/describe';
import type { Language } from '../i18n';
import type { Draft, Path } from './draft';

/** A blueprint path in the student's words, in `lang` (the shared describer, also used by the CLI). */
export function describePath(d: Draft, path: Path, lang: Language): string {
  return describeShared(d, path, lang);
}

/** What a canvas line is, and its two ends by name. */
export interface EdgeEnds {
  kind: 'nic' | 'upstream' | 'replication' | 'vip';
  from: string;
  to: string;
}

/** The ends of a derived edge (ids as in flow-model: nic:<vm>:<nic>, up:<lb>:<app>, repl:<replica>, vipm:<vip>:<member>). */
export function describeEdge(d: Draft, id: string): EdgeEnds | undefined {
  const [kind, x, y] = id.split(':');
  if (kind === 'nic') {
    const n = d.nodes[Number(x)];
    const nic = n?.nics[Number(y)];
    return n && nic ? { kind: 'nic', from: n.hostname, to: nic.network } : undefined;
  }
  if (kind === 'up' && x && y) return { kind: 'upstream', from: x, to: y };
  if (kind === 'repl' && x) return { kind: 'replication', from: d.services?.database?.primary ?? '', to: x };
  if (kind === 'vipm') {
    const v = d.services?.vips?.[Number(x)];
    const m = v?.members[Number(y)];
    return v && m ? { kind: 'vip', from: `VIP ${v.name}`, to: m.node } : undefined;
  }
  return undefined;
}
