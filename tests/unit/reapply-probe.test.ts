import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RenderContext, RenderedFile } from '../../src-main/configs/context';
import { FAIL2BAN_JAIL_PATH, hardeningSysctls, renderHardeningFiles, SSHD_LOG_PATH } from '../../src-main/configs/hardening';
import { renderSystemFiles } from '../../src-main/configs/system';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { firewallProbe, filesStep, packagesProbe, parseSystemProbe, servicesProbe, systemDrift, systemProbe, systemStep } from '../../src-main/provision/node-steps';
import { combinedProbeScript, parseCombinedProbe, ReapplyProbes, type ProbeCommand } from '../../src-main/provision/reapply-probe';
import { invalidateOnChange, reapplyProbeCommands } from '../../src-main/provision/reapply-commands';
import { hardeningDrift, hardeningProbe, hardeningStep } from '../../src-main/provision/zone-steps';
import { makeCtx } from '../golden/configs/support/render';

const REPO = join(import.meta.dirname, '..', '..');
const SEED = readFileSync(join(REPO, 'lab-blueprints', 'vmware-3tier-ha.yaml'), 'utf8');

function ctxOf(text: string): RenderContext {
  const r = validateBlueprintText(text);
  if (!r.resolved) throw new Error(JSON.stringify(r.issues.map((i) => i.code)));
  return makeCtx(r.resolved, 'mariadb');
}
const ctx = ctxOf(SEED);
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** What FILE_PROBE prints for files that are on the guest as `have` (path → content, mode, owner). */
function fileProbeOut(have: RenderedFile[]): string {
  const sums = have.map((f) => `${sha(f.content)}  ${f.path}\n`).join('');
  const stats = have.map((f) => `${Number.parseInt(f.mode, 8).toString(8)} ${f.owner ?? 'root:root'} ${f.path}\n`).join('');
  return `${sums}##halab-probe##\n${stats}`;
}

/** systemProbe's output for a guest whose system files are `have`, named `hostname`, with `addresses` static. */
function systemOut(have: RenderedFile[], hostname: string, addresses: string[], obsolete: string[] = []): string {
  const ip = addresses.map((a, i) => `${i + 2}: eth${i}    inet ${a}/24 brd 10.0.0.255 scope global eth${i}\\       valid_lft forever preferred_lft forever\n`).join('');
  return `${fileProbeOut(have)}##halab-part##\n${obsolete.map((o) => `${o}\n`).join('')}##halab-part##\n${hostname}\n##halab-part##\n${ip}`;
}

const step = () => ({ signal: new AbortController().signal, log: () => undefined });

/** A guest that answers nothing: any command fails the test; uploads are recorded. */
function silentGuest() {
  const calls: string[][] = [];
  const writes: string[] = [];
  const g = {
    host: '10.0.0.11',
    exec: async (argv: string[]) => {
      calls.push(argv);
      return { stdout: '', stderr: '', code: 0 };
    },
    writeFile: async (path: string) => {
      writes.push(path);
      return { changed: true };
    },
  };
  return { calls, writes, g, pool: { get: async () => g, staticAddress: () => '10.0.0.11' } as never };
}

/** Keep `answers` (probe key → stdout) for `vm` as if its SSH step had read them in one command. */
function primed(vm: string, cmds: ProbeCommand[], answers: Record<string, string>): ReapplyProbes {
  const p = new ReapplyProbes();
  p.store(vm, cmds, cmds.map((c) => `##halab-section:${c.key}##\n${answers[c.key] ?? ''}##halab-end:${c.key in answers ? 0 : 1}##\n`).join(''));
  return p;
}

describe('the combined probe (one SSH command per VM on a re-apply)', () => {
  it('gives each probe exactly the stdout and exit code it has when run alone, in a real shell', () => {
    const cmds: ProbeCommand[] = [
      { key: 'quoted', argv: ['sh', '-c', 'for a; do printf "<%s>\\n" "$a"; done', 'sh', "it's", 'two words', '$HOME', 'new\nline', ''] },
      { key: 'no-newline', argv: ['sh', '-c', 'printf "no newline at the end"'] },
      { key: 'fails', argv: ['sh', '-c', 'echo before; exit 3'] },
      { key: 'comment', argv: ['sh', '-c', 'echo "$#" # a comment ends the line', 'sh', 'a', 'b'] },
      { key: 'packages', argv: packagesProbe(ctx, 'lb-master').argv },
      { key: 'system', argv: systemProbe(ctx, 'lb-master').argv },
      firewallProbe(),
    ];
    const out = execFileSync('sh', ['-c', combinedProbeScript(cmds)], { encoding: 'utf8' });
    const answers = parseCombinedProbe(out);
    expect([...answers.keys()]).toEqual(cmds.map((c) => c.key));
    for (const c of cmds) {
      const alone = spawnSync(c.argv[0]!, c.argv.slice(1), { encoding: 'utf8' });
      // `ip` lines can differ in their lifetimes between two calls; everything else is byte-for-byte.
      const strip = (t: string) => t.replace(/valid_lft \S+ preferred_lft \S+/g, '');
      expect(strip(answers.get(c.key)!.stdout), c.key).toBe(strip(alone.stdout));
      expect(answers.get(c.key)!.code, c.key).toBe(alone.status);
    }
    expect(answers.get('quoted')!.stdout).toBe("<it's>\n<two words>\n<$HOME>\n<new\nline>\n<>\n");
  });

  it('refuses what it cannot run faithfully: a command that is not sh -c, two probes with one name', () => {
    expect(() => combinedProbeScript([{ key: 'x', argv: ['ufw', 'status'] }])).toThrow(/not "sh -c/);
    expect(() => combinedProbeScript([firewallProbe(), firewallProbe()])).toThrow(/two probes/);
  });

  it('leaves out a probe cut short (no end marker)', () => {
    expect([...parseCombinedProbe('##halab-section:a##\nx##halab-end:0##\n##halab-section:b##\npartial').keys()]).toEqual(['a']);
  });

  it('hands an answer out once, only for the same command and exit code 0, and drops a VM\'s answers when asked', () => {
    const fw = firewallProbe();
    const pk = packagesProbe(ctx, 'lb-master');
    const p = primed('lb-master', [fw, pk], { firewall: 'live\nstamp\n' });
    expect(p.take('lb-master', pk)).toBeUndefined(); // exit code 1: not kept
    expect(p.take('lb-slave', fw)).toBeUndefined();
    expect(p.take('lb-master', { key: 'firewall', argv: ['sh', '-c', 'other'] })).toBeUndefined(); // another command: not its answer
    const again = primed('lb-master', [fw], { firewall: 'live\nstamp\n' });
    expect(again.take('lb-master', fw)).toEqual({ stdout: 'live\nstamp\n', code: 0 });
    expect(again.take('lb-master', fw)).toBeUndefined(); // once
    const dropped = primed('lb-master', [fw], { firewall: 'x' });
    dropped.invalidate('lb-master');
    expect(dropped.take('lb-master', fw)).toBeUndefined();
    const all = primed('db-master', [fw], { firewall: 'x' });
    all.invalidate();
    expect(all.take('db-master', fw)).toBeUndefined();
  });

  it('drops a VM\'s answers after one of its steps changed something or failed, every VM\'s after a lab-wide change', async () => {
    const fw = firewallProbe();
    const p = new ReapplyProbes();
    for (const vm of ['a', 'b']) p.store(vm, [fw], `##halab-section:firewall##\nx##halab-end:0##\n`);
    const steps = [
      { id: 'vm:a:system', vm: 'a', title: '', deps: [], run: async () => 'changed' as const },
      { id: 'vm:b:system', vm: 'b', title: '', deps: [], run: async () => 'unchanged' as const },
      { id: 'lab:x', title: '', deps: [], run: async () => 'changed' as const },
    ];
    invalidateOnChange(steps, p);
    await steps[0]!.run();
    await steps[1]!.run();
    expect(p.take('a', fw)).toBeUndefined();
    p.store('b', [fw], `##halab-section:firewall##\nx##halab-end:0##\n`);
    await steps[2]!.run();
    expect(p.take('b', fw)).toBeUndefined();
  });

  it('covers every per-VM step of the seed lab', () => {
    expect(reapplyProbeCommands(ctx, 'db-master', []).map((c) => c.key)).toEqual(['system', 'packages', 'firewall', 'services', 'hardening']);
    // The combined script is valid shell.
    expect(spawnSync('sh', ['-n', '-c', combinedProbeScript(reapplyProbeCommands(ctx, 'db-master', []))]).status).toBe(0);
  });
});

describe('base system: skipped when its one probe finds nothing to do, run when something differs', () => {
  const vm = 'lb-master';
  const files = renderSystemFiles(ctx, vm);
  const want = { files, hostname: vm, addresses: ['192.168.10.11', '10.0.0.11'] };
  const good = systemOut(files, vm, want.addresses);

  it('finds nothing when files, hostname and addresses are as rendered', () => {
    expect(systemDrift(parseSystemProbe(good, files.map((f) => f.path))!, want)).toEqual([]);
  });

  it('names each difference', () => {
    const edited = files.map((f) => (f.path === '/etc/hosts' ? { ...f, content: `${f.content}10.9.9.9 extra\n` } : f));
    const p = (t: string) => parseSystemProbe(t, files.map((f) => f.path))!;
    expect(systemDrift(p(systemOut(edited, vm, want.addresses)), want)).toEqual(['file /etc/hosts']);
    expect(systemDrift(p(systemOut(files.map((f) => ({ ...f, mode: '0666' })), vm, want.addresses)), want)).toHaveLength(files.length);
    expect(systemDrift(p(systemOut(files, 'localhost', want.addresses)), want)).toEqual(['hostname localhost']);
    expect(systemDrift(p(systemOut(files, vm, ['10.0.0.11'])), want)).toEqual(['address 192.168.10.11 missing']);
    expect(systemDrift(p(systemOut(files, vm, want.addresses, ['/etc/netplan/50-cloud-init.yaml'])), want)).toEqual(['obsolete /etc/netplan/50-cloud-init.yaml']);
    expect(systemDrift(p(good.replace('scope global eth0', 'scope global dynamic eth0')), want)).toEqual(['a DHCP address left']);
    expect(parseSystemProbe('garbage', [])).toBeUndefined();
  });

  it('sends nothing at all on a re-apply that finds nothing to do', async () => {
    const { calls, writes, pool } = silentGuest();
    const probes = primed(vm, [systemProbe(ctx, vm)], { system: good });
    expect(await systemStep(pool, ctx, vm, step(), probes)).toBe('unchanged');
    expect(calls).toEqual([]);
    expect(writes).toEqual([]);
  });

  it('applies a real change: a rendered value edited in the blueprint (another VM\'s address) rewrites /etc/hosts', async () => {
    const edited = ctxOf(SEED.replace('address: 10.0.0.32}', 'address: 10.0.0.42}'));
    const { writes, pool } = silentGuest();
    // The guest still has what the old blueprint rendered.
    const probes = primed(vm, [systemProbe(edited, vm)], { system: good });
    expect(await systemStep(pool, edited, vm, step(), probes)).toBe('changed');
    expect(writes).toEqual(['/etc/hosts']);
  });

  it('applies a real change: a file edited on the guest is put back', async () => {
    const { writes, pool } = silentGuest();
    const onGuest = files.map((f) => (f.path === '/etc/ssh/sshd_config.d/01-halab-hardening.conf' ? { ...f, content: 'PasswordAuthentication yes\n' } : f));
    const probes = primed(vm, [systemProbe(ctx, vm)], { system: systemOut(onGuest, vm, want.addresses) });
    expect(await systemStep(pool, ctx, vm, step(), probes)).toBe('changed');
    expect(writes).toEqual(['/etc/ssh/sshd_config.d/01-halab-hardening.conf']);
  });

  it('without a kept answer (a first run) sends its one probe itself', async () => {
    const { calls, pool } = silentGuest();
    // The silent guest answers '' (does not line up): the step falls back to its separate checks, as before.
    await systemStep(pool, ctx, vm, step()).catch(() => undefined);
    expect(calls[0]).toEqual(systemProbe(ctx, vm).argv);
  });
});

describe('services: a kept answer replaces the probe; a rendered value edited still restarts the unit', () => {
  const vm = 'lb-master';

  it('applies an edited keepalived priority: writes the file and restarts keepalived', async () => {
    const cmd = servicesProbe(ctx, vm, []);
    const files = cmd.argv.slice(4);
    const { renderNodeFiles, unitsFor, unwantedUnits } = await import('../../src-main/configs/node-files');
    const have = renderNodeFiles(ctx, vm).filter((f) => files.includes(f.path));
    const units = [...unwantedUnits(ctx, vm), ...unitsFor(ctx, vm)];
    const unitOut = units.map((u, i) => (i < unwantedUnits(ctx, vm).length ? `Id=${u}\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n` : `Id=${u}\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n`)).join('\n');
    const answer = `${fileProbeOut(have)}##halab-probe##\n${unitOut}`;
    {
      const { calls, writes, pool } = silentGuest();
      expect(await filesStep(pool, ctx, vm, [], step(), primed(vm, [cmd], { services: answer }))).toBe('unchanged');
      expect(calls).toEqual([]);
      expect(writes).toEqual([]);
    }
    const edited = ctxOf(SEED.replace(/priority: 150/, 'priority: 140'));
    expect(edited.lab.lab.services.vips[0]!.members.some((m) => m.priority === 140)).toBe(true);
    const { calls, writes, pool } = silentGuest();
    expect(await filesStep(pool, edited, vm, [], step(), primed(vm, [servicesProbe(edited, vm, [])], { services: answer }))).toBe('changed');
    expect(writes).toEqual(['/etc/keepalived/keepalived.conf']);
    expect(calls.some((c) => c.join(' ') === 'systemctl restart keepalived.service')).toBe(true);
  });
});

describe('hardening: skipped when its one probe finds the profile in effect', () => {
  const vm = 'lb-master';
  const files = renderHardeningFiles(ctx, vm);
  const sysctls = hardeningSysctls(ctx, vm);
  const units = (state: string) => ['halab-sysctl.service', 'halab-sshd-log.service', 'fail2ban.service'].map((u) => `Id=${u}\nLoadState=loaded\nActiveState=${state}\nUnitFileState=enabled\n`).join('\n');
  const sysctlOut = (value: (k: string, want: string) => string, writable = '1') => sysctls.map((x) => `${x.key}|1|${writable}|0|${value(x.key, x.value)}|\n`).join('');
  const out = (o: { files?: RenderedFile[]; log?: boolean; sysctl?: string; units?: string } = {}) =>
    `${fileProbeOut(o.files ?? files)}##halab-part##\n${o.log === false ? '' : 'yes\n'}##halab-part##\n${o.sysctl ?? sysctlOut((_, w) => w)}##halab-part##\n${o.units ?? units('active')}`;
  const want = { files, sysctls };

  it('the seed lab has a profile to check', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(sysctls.length).toBeGreaterThan(0);
  });

  it('finds nothing when files, log, keys and units are in effect', () => {
    expect(hardeningDrift(out(), want)).toEqual([]);
    // A kernel.* key read-only in a container at another value is a note, not a change; a net.* one would be set from the host.
    const kernel = sysctls.find((x) => !x.key.startsWith('net.'))!;
    const net = sysctls.find((x) => x.key.startsWith('net.'))!;
    expect(kernel).toBeDefined();
    expect(hardeningDrift(out({ sysctl: sysctlOut((k, w) => (k === kernel.key ? 'other' : w), '0') }), want)).toEqual([]);
    expect(hardeningDrift(out({ sysctl: sysctlOut((k, w) => (k === net.key ? 'other' : w), '0') }), want)).toEqual([`sysctl ${net.key}=other`]);
  });

  it('names each difference', () => {
    expect(hardeningDrift(out({ files: files.map((f) => (f.path === FAIL2BAN_JAIL_PATH ? { ...f, content: 'x' } : f)) }), want)).toEqual([`file ${FAIL2BAN_JAIL_PATH}`]);
    expect(hardeningDrift(out({ log: false }), want)).toEqual([`${SSHD_LOG_PATH} missing`]);
    expect(hardeningDrift(out({ units: units('inactive') }), want)).toHaveLength(3);
    expect(hardeningDrift('garbage', want)).toEqual(['probe output did not line up']);
  });

  it('sends nothing when in effect; runs the full step when a key differs', async () => {
    const cmd = hardeningProbe(ctx, vm);
    {
      const { calls, pool } = silentGuest();
      expect(await hardeningStep(pool, ctx, vm, step(), undefined, primed(vm, [cmd], { hardening: out() }))).toBe('unchanged');
      expect(calls).toEqual([]);
    }
    const { calls, pool } = silentGuest();
    const first = sysctls[0]!;
    await hardeningStep(pool, ctx, vm, step(), undefined, primed(vm, [cmd], { hardening: out({ sysctl: sysctlOut((k, w) => (k === first.key ? 'other' : w)) }) })).catch(() => undefined);
    // The full step: its own file probe, then the rest.
    expect(calls.length).toBeGreaterThan(2);
  });

  it('hardening: none — off and none of our files left is nothing to do', () => {
    const none = ctxOf(SEED.replace(/^(nodes:)/m, 'hardening: none\n$1'));
    expect(renderHardeningFiles(none, vm)).toEqual([]);
    const off = ['halab-sysctl.service', 'halab-sshd-log.service', 'fail2ban.service'].map((u) => `Id=${u}\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n`).join('\n');
    expect(hardeningDrift(`${off}##halab-part##\n`, { files: [], sysctls: [] })).toEqual([]);
    expect(hardeningDrift(`${off.replace('ActiveState=inactive', 'ActiveState=active')}##halab-part##\n`, { files: [], sysctls: [] })).toEqual(['halab-sysctl.service on']);
    expect(hardeningDrift(`${off}##halab-part##\n/etc/fail2ban/jail.local\n`, { files: [], sysctls: [] })).toEqual(['left /etc/fail2ban/jail.local']);
    expect(hardeningProbe(none, vm).argv[2]).toContain('Generated by HA Lab Studio');
  });
});
