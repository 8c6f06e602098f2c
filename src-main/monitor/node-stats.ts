/**
 * CPU, memory, disk and network of a VM from one shell command's output
 * (/proc files and df), so one SSH round trip per VM per sample. Pure parsers.
 */

/** The command: prints /proc/stat's cpu line, meminfo, df of / and net counters. */
export const NODE_STATS_ARGV = ['sh', '-c', 'head -1 /proc/stat; grep -E "^(MemTotal|MemAvailable):" /proc/meminfo; df -P / | tail -1; cat /proc/loadavg; tail -n +3 /proc/net/dev'];

export interface RawStats {
  cpuTotal: number;
  cpuIdle: number;
  memTotalKb: number;
  memAvailKb: number;
  diskPct: number;
  load1: number;
  rxBytes: number;
  txBytes: number;
  at: number;
}

export function parseNodeStats(text: string, at: number): RawStats | undefined {
  const lines = text.trim().split('\n');
  const cpu = lines[0]?.trim().split(/\s+/).slice(1).map(Number);
  if (!cpu || cpu.length < 4 || cpu.some(Number.isNaN)) return undefined;
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const df = lines.find((l) => /\s\/$/.test(l));
  const load = lines.find((l) => /^\d+\.\d+ \d+\.\d+ \d+\.\d+ /.test(l));
  let rx = 0;
  let tx = 0;
  for (const l of lines) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(l);
    const f = (m?.[2] ?? '').trim().split(/\s+/).map(Number);
    // /proc/net/dev rows have 16 counters; meminfo lines ("MemTotal: 123 kB") do not.
    if (!m || m[1] === 'lo' || f.length !== 16 || f.some(Number.isNaN)) continue;
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return {
    cpuTotal: cpu.reduce((a, b) => a + b, 0),
    cpuIdle: (cpu[3] ?? 0) + (cpu[4] ?? 0),
    memTotalKb: kb('MemTotal'),
    memAvailKb: kb('MemAvailable'),
    diskPct: Number(/(\d+)%/.exec(df ?? '')?.[1] ?? NaN),
    load1: Number(load?.split(' ')[0] ?? NaN),
    rxBytes: rx,
    txBytes: tx,
    at,
  };
}

/** Rates and percentages between two samples. */
export function derive(prev: RawStats | undefined, cur: RawStats): { cpuPct?: number; memPct: number; diskPct: number; load1: number; rxBps?: number; txBps?: number } {
  const memPct = cur.memTotalKb ? Math.round((1 - cur.memAvailKb / cur.memTotalKb) * 1000) / 10 : NaN;
  const out = { memPct, diskPct: cur.diskPct, load1: cur.load1 } as ReturnType<typeof derive>;
  if (prev && cur.cpuTotal > prev.cpuTotal) {
    out.cpuPct = Math.round((1 - (cur.cpuIdle - prev.cpuIdle) / (cur.cpuTotal - prev.cpuTotal)) * 1000) / 10;
    const secs = (cur.at - prev.at) / 1000;
    if (secs > 0) {
      out.rxBps = Math.max(0, Math.round((cur.rxBytes - prev.rxBytes) / secs));
      out.txBps = Math.max(0, Math.round((cur.txBytes - prev.txBytes) / secs));
    }
  }
  return out;
}
