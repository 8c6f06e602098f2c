/**
 * The provisioning log lines of the zone, hardening and PostgreSQL steps come
 * from the catalog: in English byte-identical to the text the integration
 * tests and the window match on, in Korean without leftover English words
 * (other than unit, file, key and program names).
 */
import { describe, expect, it } from 'vitest';
import { list, msg, render, type Message } from '../../src-main/shared/i18n';
import { joinMessages } from '../../src-main/shared/i18n/message-list';
import { sysctlNote, sysctlNoteMsg } from '../../src-main/provision/zone-steps';

const HANGUL = /[\uac00-\ud7a3]/;
/** Names a Korean log line keeps as they are. */
const TECHNICAL = new Set(['sysctl', 'ufw', 'nftables', 'inet', 'none', 'fail2ban', 'sshd', 'jail', 'etcd', 'patroni', 'Patroni', 'pg_hba', 'main', 'ALTER', 'SYSTEM', 'hba_file', 'kernel', 'streaming', 'halab']);

/** ASCII words (3+ characters, starting with a letter) in `text` that are neither one of `names` nor a technical word. */
function englishWords(text: string, names: string[]): string[] {
  let rest = text;
  for (const n of [...names].sort((a, b) => b.length - a.length)) rest = rest.split(n).join(' ');
  return (rest.match(/[A-Za-z_][A-Za-z0-9_]{2,}/g) ?? []).filter((w) => !TECHNICAL.has(w));
}

function ko(m: Message, names: string[]): string {
  const text = render('ko', m);
  expect(text, m.code).toMatch(HANGUL);
  expect(text, m.code).not.toMatch(/\{\w+\}/);
  expect(englishWords(text, names), `${m.code}: ${text}`).toEqual([]);
  return text;
}

describe('zone and hardening log lines', () => {
  it('render the old English text exactly and read as Korean', () => {
    const matrix = msg('z.log.matrix', { allowedOk: 17, allowed: 17, deniedOk: 6, denied: 6 });
    expect(render('en', matrix)).toBe('zone matrix: 17/17 allowed connected, 6/6 denied refused');
    expect(ko(matrix, [])).toBe('구역 매트릭스: 허용 칸 17/17개 연결됨, 차단 칸 6/6개 거부됨');

    const hardening = msg('z.log.hardening', { applied: 42, vms: 11 });
    expect(render('en', hardening)).toBe("hardening: 42 sysctl settings in effect on 11 VMs, fail2ban's sshd jail running and ignoring the host, sshd keys only");
    expect(ko(hardening, ['VM'])).toContain('VM 11대에서 sysctl 설정 42개 적용됨');

    const none = msg('z.log.hardeningNone');
    expect(render('en', none)).toBe('hardening: none (the blueprint says so); sshd keys only as always');
    ko(none, []);

    const settings = list(['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=1']);
    const router = msg('z.log.routerSysctl', { settings });
    expect(render('en', router)).toBe('router kernel settings now in effect: net.ipv4.ip_forward=1, net.ipv4.conf.all.rp_filter=1');
    ko(router, [settings]);

    const inGuest = msg('z.log.appliedInGuest', { file: '/etc/sysctl.d/61-halab-router.conf', node: 'fw', command: 'sysctl -q -p /etc/sysctl.d/61-halab-router.conf' });
    expect(render('en', inGuest)).toBe("/etc/sysctl.d/61-halab-router.conf applied inside fw (sysctl -q -p /etc/sysctl.d/61-halab-router.conf): this provider cannot set a VM's kernel settings from the host");
    ko(inGuest, ['/etc/sysctl.d/61-halab-router.conf', 'sysctl -q -p', 'VM']);

    expect(render('en', msg('z.log.unitRestarted', { unit: 'fail2ban.service' }))).toBe('restarted fail2ban.service');
    expect(render('en', msg('z.log.unitStarted', { unit: 'fail2ban.service' }))).toBe('started fail2ban.service');
    expect(ko(msg('z.log.unitStarted', { unit: 'fail2ban.service' }), ['fail2ban.service'])).toBe('fail2ban.service 유닛을 시작했습니다');
    expect(render('en', msg('z.log.nftLoaded', { table: 'halab_zones', file: '/etc/nftables.d/halab-zones.nft' }))).toBe('nftables table inet halab_zones loaded from /etc/nftables.d/halab-zones.nft');
    expect(render('en', msg('z.log.ufwRouted'))).toBe('ufw: routed traffic left to the zone table');
    ko(msg('z.log.ufwRouted'), []);
  });

  it('keeps the sysctl notes in English for the report and renders their log line in Korean', () => {
    const st = { key: 'kernel.randomize_va_space', want: '2', value: '1', exists: true, writable: false, set: false };
    expect(sysctlNote(st)).toBe("kernel.randomize_va_space: not applicable (read-only in this guest, e.g. a container's kernel.* keys belong to the host); the running value is 1, the profile wants 2");
    const line = msg('z.log.hardeningNote', { node: 'db-master', note: sysctlNoteMsg(st)! });
    expect(render('en', line)).toBe(`hardening: db-master: ${sysctlNote(st)}`);
    expect(ko(line, ['db-master', 'kernel.randomize_va_space', 'kernel.*'])).toContain('해당 없음');
  });
});

describe('PostgreSQL log lines', () => {
  it('render the old English text exactly and read as Korean', () => {
    expect(render('en', msg('pg.log.patroniStarted'))).toBe('patroni started');
    ko(msg('pg.log.patroniStarted'), []);
    expect(render('en', msg('pg.log.etcdRestarted', { address: '10.0.3.11' }))).toBe('etcd restarted on 10.0.3.11');
    expect(render('en', msg('pg.log.etcdStarted', { address: '10.0.3.11' }))).toBe('etcd started on 10.0.3.11');
    expect(render('en', msg('pg.log.etcdHealthy', { count: 3 }))).toBe('etcd healthy: 3 members');
    expect(render('en', msg('pg.log.droppedDefault', { version: 15 }))).toBe("dropped the package's default cluster 15/main (Patroni runs its own)");
    ko(msg('pg.log.droppedDefault', { version: 15 }), []);
    const unit = 'postgresql@15-main.service';
    expect(render('en', msg('pg.log.settingsApplied', { hba: '/etc/postgresql/15/main/halab_hba.conf', unit }))).toBe(`settings applied (ALTER SYSTEM), hba_file /etc/postgresql/15/main/halab_hba.conf; ${unit} restarted`);
    expect(render('en', msg('pg.log.unitRestarted', { unit: 'prometheus-postgres-exporter.service' }))).toBe('prometheus-postgres-exporter.service restarted');

    const roles = msg('pg.log.rolesReady', { roles: list(['app_rw', 'app_ro', 'monitor']), schema: 'reservations', node: 'db-master' });
    expect(render('en', roles)).toBe('roles app_rw, app_ro, monitor and database reservations in place on db-master');
    ko(roles, ['app_rw', 'app_ro', 'monitor', 'reservations', 'db-master']);

    const standbys = joinMessages(['db-slave1', 'db-slave2'].map((n, i) => msg('pg.log.standby', { node: n, state: 'streaming', slot: n.replace('-', '_'), lag: i * 128 })), 'semicolon');
    const leads = msg('pg.log.leads', { leader: 'db-master', standbys });
    expect(render('en', leads)).toBe('db-master leads; db-slave1 streaming through slot db_slave1, 0 bytes behind; db-slave2 streaming through slot db_slave2, 128 bytes behind');
    expect(ko(leads, ['db-master', 'db-slave1', 'db-slave2', 'db_slave1', 'db_slave2'])).toBe('리더 노드: db-master; db-slave1 노드: 상태 streaming, 슬롯 db_slave1 사용, 0바이트 뒤처짐; db-slave2 노드: 상태 streaming, 슬롯 db_slave2 사용, 128바이트 뒤처짐');

    const replicated = msg('pg.log.replicated', { app: 'app-1', no: 'R-20261201-0001', nodes: list(['db-master', 'db-slave1']) });
    expect(render('en', replicated)).toBe('a reservation written through app-1 (R-20261201-0001) is on db-master, db-slave1');
    ko(replicated, ['app-1', 'R-20261201-0001', 'db-master', 'db-slave1']);
  });
});
