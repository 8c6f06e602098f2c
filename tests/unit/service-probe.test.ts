import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FILE_PROBE,
  parseFileProbe,
  parseLegacyUnitRows,
  parseServiceProbe,
  parseUnitShow,
  serviceProbeScript,
  unitShowScript,
  unitsToMask,
  wantedFileLine,
  wantedUnitActions,
} from '../../src-main/provision/service-probe';

/** The services step's decisions as node-steps.ts made them before the batched probe (kept verbatim as the reference). */
function legacyMaskDecisions(unwanted: string[], probeStdout: string): string[] {
  const rows = probeStdout.trimEnd().split('\n');
  const acted: string[] = [];
  for (const [i, unit] of unwanted.entries()) {
    const [id, load, active, enabled] = (rows[i] ?? '').split('|');
    if (id !== unit || load === 'not-found' || !load) continue;
    if (load === 'masked' && enabled === 'masked' && (active === 'inactive' || active === '')) continue;
    acted.push(unit);
  }
  return acted;
}
function legacyWantedDecisions(units: string[], stateStdout: string, restart: Set<string>) {
  const rows = stateStdout.trimEnd().split('\n');
  return units.map((unit, i) => {
    const [enabled, active] = (rows[i] ?? '').split(' ');
    return { unit, unmask: enabled === 'masked' || enabled === 'masked-runtime', enable: enabled !== 'enabled', restart: restart.has(unit) || active !== 'active', wasActive: active === 'active' };
  });
}

/** A guest's units: what `systemctl show` prints per name, and what `is-enabled` / `is-active` print. */
interface Unit {
  name: string;
  id: string;
  load: string;
  active: string;
  fileState: string;
  isEnabled: string;
}
const u = (name: string, load: string, active: string, fileState: string, isEnabled = fileState, id = name): Unit => ({ name, id, load, active, fileState, isEnabled });

const showBlock = (x: Unit) => `Id=${x.id}\nLoadState=${x.load}\nActiveState=${x.active}\nUnitFileState=${x.fileState}\n`;
const batched = (xs: Unit[]) => xs.map(showBlock).join('\n');
const legacyFour = (xs: Unit[]) => xs.map((x) => `${x.id}|${x.load}|${x.active}|${x.isEnabled}\n`).join('');
const legacyTwo = (xs: Unit[]) => xs.map((x) => `${x.isEnabled} ${x.active}\n`).join('');

// Unwanted units on a VM of another role: every case the decision distinguishes.
const UNWANTED = [
  u('mariadb.socket', 'loaded', 'active', 'enabled'),
  u('mariadb-extra.socket', 'loaded', 'inactive', 'disabled'),
  u('mysql.service', 'loaded', 'active', 'enabled', 'alias', 'mariadb.service'),
  u('redis-server.service', 'masked', 'inactive', 'masked'),
  u('haproxy.service', 'not-found', 'inactive', '', ''),
  u('nginx.service', 'masked', 'failed', 'masked'),
  u('keepalived.service', 'loaded', 'inactive', 'disabled'),
  u('redis-sentinel.service', 'masked', 'inactive', 'masked-runtime'),
];
// Wanted units: already right, masked, disabled, failed, to restart, missing, runtime-enabled, an alias name, static.
const WANTED = [
  u('prometheus-node-exporter.service', 'loaded', 'active', 'enabled'),
  u('mariadb.service', 'masked', 'inactive', 'masked'),
  u('halab-app.service', 'loaded', 'inactive', 'disabled'),
  u('keepalived.service', 'loaded', 'failed', 'enabled'),
  u('halab-vip-gauge.timer', 'loaded', 'active', 'enabled'),
  u('prometheus.service', 'not-found', 'inactive', '', 'not-found'),
  u('halab-backup.timer', 'loaded', 'active', 'enabled-runtime'),
  u('mysql.service', 'loaded', 'active', 'enabled', 'alias', 'mariadb.service'),
  u('prometheus-alertmanager.service', 'loaded', 'activating', 'static'),
  u('halab-app2.service', 'masked', 'active', 'masked-runtime'),
];
const names = (xs: Unit[]) => xs.map((x) => x.name);

describe('batched unit probe (services step)', () => {
  it('masks exactly the units the per-unit probe masked', () => {
    const rows = parseUnitShow(batched(UNWANTED), names(UNWANTED));
    expect(rows).toBeDefined();
    const now = unitsToMask(names(UNWANTED), rows!);
    expect(now).toEqual(legacyMaskDecisions(names(UNWANTED), legacyFour(UNWANTED)));
    expect(now).toEqual(['mariadb.socket', 'mariadb-extra.socket', 'nginx.service', 'keepalived.service', 'redis-sentinel.service']);
    // The fallback path (per-unit probe) decides the same too.
    expect(unitsToMask(names(UNWANTED), parseLegacyUnitRows(legacyFour(UNWANTED), names(UNWANTED)))).toEqual(now);
  });

  it('unmasks, enables and (re)starts exactly the wanted units the per-unit probe did', () => {
    const restart = new Set(['halab-vip-gauge.timer', 'mariadb.service']);
    const rows = parseUnitShow(batched(WANTED), names(WANTED));
    expect(rows).toBeDefined();
    const now = wantedUnitActions(names(WANTED), rows!, restart);
    expect(now).toEqual(legacyWantedDecisions(names(WANTED), legacyTwo(WANTED), restart));
    expect(now.filter((a) => a.enable).map((a) => a.unit)).toEqual(['mariadb.service', 'halab-app.service', 'prometheus.service', 'halab-backup.timer', 'mysql.service', 'prometheus-alertmanager.service', 'halab-app2.service']);
    expect(now.filter((a) => a.restart).map((a) => a.unit)).toEqual(['mariadb.service', 'halab-app.service', 'keepalived.service', 'halab-vip-gauge.timer', 'prometheus.service', 'prometheus-alertmanager.service']);
    expect(now.filter((a) => a.unmask).map((a) => a.unit)).toEqual(['mariadb.service', 'halab-app2.service']);
    expect(wantedUnitActions(names(WANTED), parseLegacyUnitRows(legacyFour(WANTED), names(WANTED)), restart)).toEqual(now);
  });

  it('a no-op VM (everything right) asks for nothing', () => {
    const wanted = [u('prometheus-node-exporter.service', 'loaded', 'active', 'enabled'), u('keepalived.service', 'loaded', 'active', 'enabled')];
    const unwanted = [u('mariadb.socket', 'masked', 'inactive', 'masked'), u('nginx.service', 'not-found', 'inactive', '')];
    const all = [...unwanted, ...wanted];
    const rows = parseUnitShow(batched(all), names(all))!;
    expect(unitsToMask(names(unwanted), rows.slice(0, 2))).toEqual([]);
    expect(wantedUnitActions(names(wanted), rows.slice(2), new Set()).some((a) => a.enable || a.restart || a.unmask)).toBe(false);
  });

  it('gives up (undefined) when the blocks do not line up, so the step falls back to the per-unit probe', () => {
    expect(parseUnitShow(batched(WANTED.slice(1)), names(WANTED))).toBeUndefined();
    expect(parseUnitShow('', ['a.service'])).toBeUndefined();
    expect(parseUnitShow('Failed to connect to bus\n', ['a.service'])).toBeUndefined();
  });

  it('reads properties in any order and quotes only plain unit names', () => {
    const rows = parseUnitShow('UnitFileState=enabled\nActiveState=active\nLoadState=loaded\nId=a.service\n', ['a.service']);
    expect(rows).toEqual([{ id: 'a.service', load: 'loaded', active: 'active', enabled: 'enabled' }]);
    expect(unitShowScript(['a.service', 'b@x.timer'])).toContain("-- 'a.service' 'b@x.timer'");
    expect(() => unitShowScript(["a'; rm -rf /"])).toThrow(/not a unit name/);
  });
});

describe('batched file probe (one sha256sum and one stat over all files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'halab-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const LEGACY_FILE_PROBE = 'for f; do if [ -f "$f" ]; then printf "%s %s\\n" "$(sha256sum < "$f" | cut -c1-64)" "$(stat -c "%a %U:%G" -- "$f")"; else echo -; fi; done';
  const sh = (script: string, args: string[]) => execFileSync('sh', ['-c', script, 'sh', ...args], { encoding: 'utf8' });

  it('gives, path for path, what the per-file probe gave (real files, a missing one, a directory, a symlink, a space)', () => {
    const a = join(dir, 'a.conf');
    const b = join(dir, 'with space.conf');
    const sub = join(dir, 'sub');
    const link = join(dir, 'link.conf');
    writeFileSync(a, 'alpha\n');
    writeFileSync(b, 'beta\n');
    chmodSync(b, 0o640);
    mkdirSync(sub);
    symlinkSync(a, link);
    const paths = [a, join(dir, 'missing.conf'), b, sub, link, a];
    const legacy = sh(LEGACY_FILE_PROBE, paths).trimEnd().split('\n');
    const now = parseFileProbe(sh(FILE_PROBE, paths), paths);
    expect(now).toEqual(legacy);
    expect(now[1]).toBe('-');
    const me = userInfo().username;
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    expect(now[0]).toBe(wantedFileLine({ path: a, content: 'alpha\n', mode: '0644', owner: `${me}:${group}` }));
    expect(now[2]).toBe(wantedFileLine({ path: b, content: 'beta\n', mode: '0640', owner: `${me}:${group}` }));
  });

  it('with no files prints only the marker (sha256sum does not wait on stdin)', () => {
    expect(parseFileProbe(sh(FILE_PROBE, []), [])).toEqual([]);
  });

  it('the whole services probe splits into file lines and unit rows', () => {
    const a = join(dir, 'only.conf');
    writeFileSync(a, 'x');
    const units = ['a.service', 'b.timer'];
    // The unit part stands in for systemctl (not running here): the same text it prints.
    const script = serviceProbeScript([], 'true').replace(/true$/, `printf '%s' '${batched([u('a.service', 'loaded', 'active', 'enabled'), u('b.timer', 'loaded', 'inactive', 'disabled')])}'`);
    const out = parseServiceProbe(sh(script, [a]), [a], units);
    expect(out.files).toEqual(sh(LEGACY_FILE_PROBE, [a]).trimEnd().split('\n'));
    expect(out.units?.map((r) => `${r.enabled} ${r.active}`)).toEqual(['enabled active', 'disabled inactive']);
    expect(parseServiceProbe('garbage', [a], units).units).toBeUndefined();
  });
});
