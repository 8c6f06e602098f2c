/**
 * The rendered keepalived notify and VIP gauge scripts, executed (paths moved
 * into a scratch folder, `ip` replaced by a stand-in that reports the VIP),
 * and the missing-tool guard the tool tests rely on.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KEEPALIVED_STATE_LOG, renderKeepalivedNotify, renderVipGauge, TEXTFILE_DIR, VIP_GAUGE_PATH } from '../../src-main/configs/index';
import { loadLab, makeCtx, requireTool, run } from '../golden/configs/support/render';

const dir = mkdtempSync(join(tmpdir(), 'halab-scripts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx = makeCtx(loadLab('vmware-3tier-ha'), 'mysql8');

function install(holdsVip: boolean) {
  const bin = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(bin, 'ip'), `#!/bin/sh\necho "2: ens33    inet 192.168.10.11/24 brd 192.168.10.255 scope global ens33"\n${holdsVip ? 'echo "2: ens33    inet 192.168.10.100/24 scope global secondary ens33"\n' : ''}`);
  chmodSync(join(bin, 'ip'), 0o755);
  const gauge = join(bin, 'vip-gauge.sh');
  const tf = join(bin, 'textfile');
  writeFileSync(gauge, renderVipGauge(ctx, 'lb-master').replace(TEXTFILE_DIR, tf), { mode: 0o755 });
  const log = join(bin, 'state.log');
  const notify = join(bin, 'notify.sh');
  writeFileSync(notify, renderKeepalivedNotify(ctx).replace(KEEPALIVED_STATE_LOG, log).replace(VIP_GAUGE_PATH, gauge), { mode: 0o755 });
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, notify, log, prom: join(tf, 'vip.prom') };
}

describe('keepalived notify + VIP gauge', () => {
  it('appends "<ISO time> <instance> <STATE>" and publishes lab_vip_present 1 on MASTER', () => {
    const s = install(true);
    expect(run('bash', [s.notify, 'INSTANCE', 'VI_WEB', 'MASTER', '150'], { env: s.env }).status).toBe(0);
    expect(run('bash', [s.notify, 'INSTANCE', 'VI_WEB', 'FAULT', '150'], { env: s.env }).status).toBe(0);
    const lines = readFileSync(s.log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z VI_WEB MASTER$/);
    expect(lines[1]).toMatch(/ VI_WEB FAULT$/);
    expect(readFileSync(s.prom, 'utf8')).toContain('lab_vip_present{vip="192.168.10.100",group="web"} 1');
  });
  it('publishes 0 when the address is not on the interface', () => {
    const s = install(false);
    expect(run('bash', [s.notify, 'INSTANCE', 'VI_WEB', 'BACKUP', '150'], { env: s.env }).status).toBe(0);
    expect(readFileSync(s.prom, 'utf8')).toContain('lab_vip_present{vip="192.168.10.100",group="web"} 0');
  });
});

describe('requireTool', () => {
  it('fails with the Debian package to install when a tool is missing', () => {
    expect(() => requireTool('halab-no-such-tool', 'some-package')).toThrow(/install the Debian package "some-package"/);
    expect(() => requireTool('bash', 'bash')).not.toThrow();
  });
});
