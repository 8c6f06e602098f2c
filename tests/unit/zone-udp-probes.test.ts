/**
 * UDP in the zone verify (issue 14): where the policy allows UDP, every
 * allowed UDP cell is probed with a temporary echo listener (UDP has no
 * handshake: only a listener of ours can answer), and per zone pair with UDP
 * one denied UDP port with the same listener. The plan is pure; the echo
 * listener and the probe client (the Python the guests run) are run here
 * for real, on 127.0.0.1 only.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RenderContext } from '../../src-main/configs/context';
import { renderZonesNft, zoneUfwRules } from '../../src-main/configs/nftables';
import { parseProbeLines, planProbes, probeLine, probePassed, UDP_CLIENT_SCRIPT, UDP_DENIED_PROBE_PORT, UDP_LISTENER, type ZoneProbe } from '../../src-main/provision/zone-verify';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from '../helpers/paths';

const SMALL = readFileSync(join(ROOT, 'tests/integration/zones-lab.yaml'), 'utf8');
/** The small zoned lab with app → data syslog over UDP (a listener of nobody: the probe brings its own). */
const WITH_UDP = SMALL.replace("        - {from: app, to: data, ports: [3306]}\n", "        - {from: app, to: data, ports: [3306]}\n        - {from: app, to: data, ports: [514], protocol: udp, why: 'syslog to the data zone (probe)'}\n");

function ctxOf(text: string): RenderContext {
  const r = validateBlueprintText(text);
  if (!r.resolved) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return { lab: r.resolved, secrets: { vrrpAuthPass: 'abcdefgh', db: { app: 'a', replication: 'b', monitoring: 'c', backup: 'd' } }, engine: 'mariadb', nicMatch: 'name' };
}

const listening = new Map([
  ['lb1', new Set([22, 80, 9100])],
  ['app1', new Set([22, 3000, 9100])],
  ['db1', new Set([22, 3306, 9100, 9104])],
]);

describe('UDP cells in the zone probe plan', () => {
  it('the blueprint with a UDP rule is valid; the router and UFW carry it as UDP', () => {
    expect(WITH_UDP).not.toBe(SMALL);
    const ctx = ctxOf(WITH_UDP);
    expect(renderZonesNft(ctx, 'fw')).toContain('ip saddr 10.141.10.0/24 ip daddr 10.141.20.0/24 udp dport 514 counter accept comment "app to data"');
    expect(zoneUfwRules(ctx, 'db1').map((r) => r.join(' '))).toContain('ufw allow from 10.141.10.0/24 to any port 514 proto udp comment halab zone app to data');
  });

  it('probes the allowed UDP cell with an echo listener and samples one denied UDP port in that pair only', () => {
    const { probes, skipped } = planProbes(ctxOf(WITH_UDP), listening, new Map([['db1', new Set([68])]]));
    const udp = probes.filter((p) => p.protocol === 'udp').map((p) => `${p.expect} ${p.fromZone}>${p.toZone} ${p.client}>${p.target}:${p.port}${p.temporaryListener ? '*' : ''}`);
    expect(udp).toEqual([`allow app>data app1>db1:514*`, `deny app>data app1>db1:${UDP_DENIED_PROBE_PORT}*`]);
    // TCP as before: three allowed cells, one denied sample per zone pair.
    expect(probes.filter((p) => p.protocol === 'tcp' && p.expect === 'allow')).toHaveLength(3);
    expect(probes.filter((p) => p.protocol === 'tcp' && p.expect === 'deny')).toHaveLength(6);
    expect(skipped).toEqual([]);
    // A lab without UDP rules gets no UDP probe.
    expect(planProbes(ctxOf(SMALL), listening).probes.some((p) => p.protocol === 'udp')).toBe(false);
  });

  it('skips, with the reason, a UDP cell whose port a lab service already holds; the denied sample moves past a taken port', () => {
    const { probes, skipped } = planProbes(ctxOf(WITH_UDP), listening, new Map([['db1', new Set([514, UDP_DENIED_PROBE_PORT])]]));
    expect(skipped).toEqual(['app → data 514/udp: not probed (a lab service holds that UDP port on every VM of zone data, and UDP has no handshake to observe without a listener of ours)']);
    expect(probes.filter((p) => p.protocol === 'udp').map((p) => `${p.expect}:${p.port}`)).toEqual([`deny:${UDP_DENIED_PROBE_PORT + 1}`]);
  });

  it('judges and words UDP outcomes: an echo passes an allowed cell, a reject or silence passes a denied one', () => {
    const { probes } = planProbes(ctxOf(WITH_UDP), listening, new Map());
    const allow = probes.find((p) => p.protocol === 'udp' && p.expect === 'allow')!;
    const deny = probes.find((p) => p.protocol === 'udp' && p.expect === 'deny')!;
    const done = (p: Omit<ZoneProbe, 'outcome'>, outcome: ZoneProbe['outcome']): ZoneProbe => ({ ...p, outcome });
    expect(probePassed(done(allow, 'connected'))).toBe(true);
    expect(probePassed(done(allow, 'timeout'))).toBe(false);
    expect(probePassed(done(deny, 'prohibited'))).toBe(true);
    expect(probePassed(done(deny, 'timeout'))).toBe(true);
    expect(probePassed(done(deny, 'connected'))).toBe(false);
    expect(probeLine(done(allow, 'connected'))).toBe('ok   app → data 514/udp allowed: app1 → db1 (10.141.20.31) answered (UDP echo) (UDP echo listener of the probe)');
    expect(probeLine(done(deny, 'prohibited'))).toBe(`ok   app → data ${UDP_DENIED_PROBE_PORT}/udp denied: app1 → db1 (10.141.20.31) rejected by the router (admin prohibited) (UDP echo listener of the probe)`);
    expect(probeLine(done(allow, 'timeout'))).toMatch(/^FAIL .* 514\/udp allowed: .* no answer within 3 s/);
  });
});

const run = promisify(execFile);

/** A free UDP port on 127.0.0.1 (bound, read and released). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((ok) => s.bind(0, '127.0.0.1', ok));
  const port = s.address().port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

describe('the UDP probe scripts for real (python3, loopback only)', () => {
  it('the echo listener answers the client: connected; a port nobody listens on: refused (ICMP port unreachable)', async () => {
    const port = await freeUdpPort();
    const closed = await freeUdpPort();
    const listener = spawn('python3', ['-c', UDP_LISTENER, String(port), '5'], { stdio: 'ignore' });
    try {
      // Wait until it is bound (the client's datagram would otherwise meet a closed port).
      for (let i = 0; i < 50; i++) {
        const out = (await run('ss', ['-Hlun', `sport = :${port}`])).stdout;
        if (out.trim()) break;
        await new Promise((ok) => setTimeout(ok, 50));
      }
      const { stdout } = await run('python3', ['-c', UDP_CLIENT_SCRIPT, '2', `127.0.0.1:${port}`, `127.0.0.1:${closed}`]);
      const lines = parseProbeLines(stdout);
      expect(lines.get(`127.0.0.1:${port}`)?.outcome, stdout).toBe('connected');
      expect(lines.get(`127.0.0.1:${closed}`)?.outcome, stdout).toBe('refused');
    } finally {
      listener.kill();
    }
  }, 20_000);
});
