/**
 * db-primary-down with semi-sync, on recorded status values: the status
 * parser (MariaDB and MySQL 8 names), lost transactions from GTID sets, the
 * promotion decision (refuse when semi-sync had fallen back to async and
 * rows would be lost, unless forced), and the VRRPv3 master-down interval.
 */
import { describe, expect, it } from 'vitest';
import { gtidMissing, parseSemiSync, type ReplicaStatus } from '../../src-main/configs/mysql-status';
import { promotionDecision } from '../../src-main/drills/promotion';
import { masterDownMs } from '../../src-main/shared/blueprint/model';
import { masterDownIntervalMs, type DrillMeasurements, type DrillReport } from '../../src-main/shared/drills/report';
import { renderMarkdownReport } from '../../src-main/drills/report-render';
import { DRILL_DEFS, type DrillEnv } from '../../src-main/drills/catalog';
import type { RenderContext } from '../../src-main/configs/context';
import { loadLab, makeCtx } from '../golden/configs/support/render';
import { render, type Message } from '../../src-main/shared/i18n';

/** A decision's message in English (what these tests read). */
const en = (m: Message | undefined) => (m ? render('en', m) : '');


/** `SHOW GLOBAL STATUS/VARIABLES LIKE 'rpl_semi_sync_%'` of a MariaDB 10.11 primary with semi-sync on (batch output). */
const MARIADB_ON = `Variable_name\tValue
Rpl_semi_sync_master_clients\t1
Rpl_semi_sync_master_get_ack\t12
Rpl_semi_sync_master_net_avg_wait_time\t0
Rpl_semi_sync_master_no_times\t0
Rpl_semi_sync_master_no_tx\t0
Rpl_semi_sync_master_request_ack\t12
Rpl_semi_sync_master_status\tON
Rpl_semi_sync_master_tx_avg_wait_time\t412
Rpl_semi_sync_master_yes_tx\t12
Rpl_semi_sync_slave_status\tOFF
Variable_name\tValue
rpl_semi_sync_master_enabled\tON
rpl_semi_sync_master_timeout\t1000
rpl_semi_sync_master_trace_level\t32
rpl_semi_sync_master_wait_no_slave\tON
rpl_semi_sync_master_wait_point\tAFTER_SYNC
rpl_semi_sync_slave_delay_master\tOFF
rpl_semi_sync_slave_enabled\tOFF
rpl_semi_sync_slave_kill_conn_timeout\t5
rpl_semi_sync_slave_trace_level\t32
`;
/** The same primary after its replica stopped acknowledging: fallen back to async. */
const MARIADB_FELL_BACK = MARIADB_ON.replace('Rpl_semi_sync_master_status\tON', 'Rpl_semi_sync_master_status\tOFF').replace('Rpl_semi_sync_master_clients\t1', 'Rpl_semi_sync_master_clients\t0').replace('Rpl_semi_sync_master_no_tx\t0', 'Rpl_semi_sync_master_no_tx\t3');
/** MySQL 8.0.26+ with the semisync_source plugin (source/replica names). */
const MYSQL8_ON = `Variable_name\tValue
Rpl_semi_sync_source_clients\t1
Rpl_semi_sync_source_no_tx\t0
Rpl_semi_sync_source_status\tON
Rpl_semi_sync_source_yes_tx\t40
Variable_name\tValue
rpl_semi_sync_source_enabled\tON
rpl_semi_sync_source_timeout\t1000
rpl_semi_sync_source_wait_point\tAFTER_SYNC
rpl_semi_sync_replica_enabled\tOFF
`;

const st = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => ({ ioRunning: 'Connecting', sqlRunning: 'Yes', secondsBehind: null, sourceHost: '10.0.0.31', sourcePort: 3306, lastIoError: 'error reconnecting to master', lastSqlError: '', sqlState: 'Slave has read all relay log; waiting for more updates', receivedGtids: '0-1-57', executedGtids: '', usingGtid: true, raw: {}, ...over });

describe('semi-sync status', () => {
  it('reads MariaDB’s names: on, AFTER_SYNC, one replica, the timeout and the counters', () => {
    expect(parseSemiSync(MARIADB_ON)).toEqual({ enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, yesTx: 12, noTx: 0, replicaActive: false });
  });
  it('sees a fallback to async: enabled but not active', () => {
    expect(parseSemiSync(MARIADB_FELL_BACK)).toMatchObject({ enabled: true, active: false, clients: 0, noTx: 3 });
  });
  it('reads MySQL 8’s source/replica names', () => {
    expect(parseSemiSync(MYSQL8_ON)).toEqual({ enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, yesTx: 40, noTx: 0, replicaActive: false });
  });
  it('says undefined for a server without semi-sync (MySQL 8 without the plugin: empty result sets)', () => {
    expect(parseSemiSync('')).toBeUndefined();
    expect(parseSemiSync('Variable_name\tValue\n')).toBeUndefined();
  });
});

describe('lost transactions from GTID sets', () => {
  it('MariaDB: sequence numbers per domain', () => {
    expect(gtidMissing('0-1-57', '0-1-60')).toBe(3);
    expect(gtidMissing('0-1-60', '0-1-60')).toBe(0);
    expect(gtidMissing('0-1-61', '0-1-60')).toBe(0);
    expect(gtidMissing('0-1-57,1-2-4', '0-1-60,1-2-9')).toBe(8);
    expect(gtidMissing('', '0-1-5')).toBe(5);
    expect(gtidMissing('0-1-5', '')).toBe(0);
  });
  it('MySQL: exact interval arithmetic on uuid sets, gaps included', () => {
    const u = '3E11FA47-71CA-11E1-9E33-C80AA9429562';
    expect(gtidMissing(`${u}:1-50`, `${u}:1-60`)).toBe(10);
    expect(gtidMissing(`${u}:1-50:55-60`, `${u}:1-60`)).toBe(4);
    expect(gtidMissing(`${u.toLowerCase()}:1-60`, `${u}:1-60`)).toBe(0);
    expect(gtidMissing(`${u}:1-60`, `${u}:1-60,\n4F11FA47-71CA-11E1-9E33-C80AA9429562:1-2`)).toBe(2);
  });
});

describe('promotion decision with semi-sync', () => {
  const facts = { status: st(), applied: '0-1-57', received: '0-1-57', primaryLast: '0-1-60' };

  it('refuses when semi-sync had fallen back to async and the replica lacks transactions, saying how to force it', () => {
    const d = promotionDecision({ ...facts, semiSyncAtFault: parseSemiSync(MARIADB_FELL_BACK) });
    expect(d.ok).toBe(false);
    expect(d.missingTransactions).toBe(3);
    expect(en(d.reasons[0])).toMatch(/3 transaction\(s\) missing/);
    expect(en(d.reasons[0])).toMatch(/semi-sync had fallen back to async before the fault \(0 semi-sync replica\(s\) connected; 3 commit\(s\) not acknowledged/);
    expect(en(d.reasons[0])).toMatch(/--force-promotion/);
  });

  it('promotes when forced, marking it forced', () => {
    const d = promotionDecision({ ...facts, semiSyncAtFault: parseSemiSync(MARIADB_FELL_BACK) }, { force: true });
    expect(d).toMatchObject({ ok: true, forced: true, missingTransactions: 3, reasons: [] });
    expect(en(d.notes?.[0])).toMatch(/promoted anyway because it was forced/);
  });

  it('force never overrides a stopped SQL thread or a node that is not a replica', () => {
    expect(promotionDecision({ ...facts, status: st({ sqlRunning: 'No', lastSqlError: 'Duplicate entry' }) }, { force: true }).ok).toBe(false);
    expect(promotionDecision({}, { force: true }).ok).toBe(false);
  });

  it('with semi-sync on at the fault (AFTER_SYNC) the gap is only unacknowledged transactions: promoted, with a note', () => {
    const d = promotionDecision({ ...facts, semiSyncAtFault: parseSemiSync(MARIADB_ON) });
    expect(d.ok).toBe(true);
    expect(d.forced).toBeUndefined();
    expect(d.missingTransactions).toBe(3);
    expect(en(d.notes?.[0])).toMatch(/semi-sync was on \(AFTER_SYNC\) at the fault, so they were never acknowledged/);
  });

  it('async replication with a gap is refused too (and says so)', () => {
    const d = promotionDecision(facts);
    expect(d.ok).toBe(false);
    expect(en(d.reasons[0])).toMatch(/replication is asynchronous/);
  });

  it('nothing missing: promoted, zero transactions lost', () => {
    expect(promotionDecision({ ...facts, primaryLast: '0-1-57', semiSyncAtFault: parseSemiSync(MARIADB_FELL_BACK) })).toEqual({ ok: true, reasons: [], missingTransactions: 0 });
  });
});

describe('VRRP master-down interval', () => {
  it('VRRPv2: 3 × advert + (256 − priority)/256 s, whatever the advert', () => {
    expect(masterDownIntervalMs(1, 100)).toBe(3609);
    expect(masterDownIntervalMs(2, 100, 2)).toBe(6609);
    expect(masterDownMs(2, 1, 100)).toBe(3609);
  });
  it('VRRPv3: the skew scales with the advert; 0.1 s adverts give about 0.36 s', () => {
    expect(masterDownIntervalMs(0.1, 100, 3)).toBe(361);
    expect(masterDownMs(3, 0.1, 100)).toBe(361);
    expect(masterDownMs(3, 1, 100)).toBe(3609);
  });
});

describe('db-primary-down expectations (the drill definition, on recorded measurements)', () => {
  const def = DRILL_DEFS['db-primary-down'];
  const env = (ctx: RenderContext, refused?: string[]) => ({ ctx, refused }) as unknown as DrillEnv;
  const fast = makeCtx(loadLab('vmware-3tier-ha-fast'), 'mariadb');
  const seed = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');
  const base: DrillMeasurements = { outageMs: 900, requests: 240, failed: 6, failedPct: 2.5, inFlightAtFault: 1, failedAfterFault: 5, latency: { p50: 4, p95: 20, p99: 40, max: 900 }, rowsAcknowledged: 58, rowsLost: 0, promotedMs: 1800, firstSuccessAfterFaultMs: 1900 };
  const on = { enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, yesTx: 120, noTx: 0 };

  it('semi-sync on, nothing lost, writes back in 1.8 s: every expectation met, the GTID positions in the detail', () => {
    const checks = def.expectations(env(fast), { ...base, semiSyncAtFault: on, transactionsLost: 0, gtidPrimaryFinal: '0-1-180', gtidReplicaAtPromotion: '0-1-180' });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['the replica was promoted', 'writes accepted after promotion', 'zero acknowledged rows lost', 'no acknowledged transaction lost (GTID sets)', 'semi-sync on at the fault', 'writes accepted again within 5 s']);
    expect(checks[3]!.detail).toContain('0 transaction(s) of the old primary (0-1-180) missing on the promoted replica (0-1-180)');
    expect(checks[4]!.detail).toMatch(/^on: wait point AFTER_SYNC, 1 semi-sync replica\(s\), timeout 1000 ms, 120 commits acknowledged \/ 0 not/);
  });

  it('an in-flight transaction under semi-sync is not a loss of acknowledged data', () => {
    const checks = def.expectations(env(fast), { ...base, semiSyncAtFault: on, transactionsLost: 1 });
    expect(checks.find((c) => c.name.startsWith('no acknowledged transaction'))).toMatchObject({ ok: true, detail: expect.stringContaining('none of them had been acknowledged') });
  });

  it('fallen back to async and forced: the semi-sync, GTID and forced checks fail', () => {
    const checks = def.expectations(env(fast), { ...base, semiSyncAtFault: { ...on, active: false, clients: 0, noTx: 3 }, transactionsLost: 3, rowsLost: 2, promotionForced: true });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['zero acknowledged rows lost', 'no acknowledged transaction lost (GTID sets)', 'semi-sync on at the fault', 'promotion not forced']);
    expect(checks.find((c) => c.name === 'semi-sync on at the fault')!.detail).toMatch(/^fallen back to async/);
  });

  it('the async seed lab has no semi-sync checks', () => {
    const names = def.expectations(env(seed), base).map((c) => c.name);
    expect(names).toEqual(['the replica was promoted', 'writes accepted after promotion', 'zero acknowledged rows lost']);
  });
});

describe('the report shows semi-sync and the GTID count', () => {
  const report = (m: Partial<DrillMeasurements>): DrillReport => ({
    id: 'x', lab: 'vmware-3tier-ha-fast', drill: 'db-primary-down', title: 'Database primary fails; the replica is promoted', provider: 'linux', hypothesis: 'h', startedAt: '2026-11-30T23:00:00.000Z', endAt: 1, steadyState: [], expectations: [], verdict: 'passed', verdictText: 'ok', notes: [], events: [], requests: [],
    measurements: { outageMs: 0, requests: 0, failed: 0, failedPct: 0, inFlightAtFault: 0, failedAfterFault: 0, latency: { p50: 0, p95: 0, p99: 0, max: 0 }, rowsAcknowledged: 58, rowsLost: 0, ...m },
  });
  it('in English and Korean', () => {
    const on = report({ semiSyncAtFault: { enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000 }, transactionsLost: 0, gtidPrimaryFinal: '0-1-180', gtidReplicaAtPromotion: '0-1-180' });
    const en = renderMarkdownReport(on, { lang: 'en' });
    expect(en).toContain('| Semi-sync at the fault | on (AFTER_SYNC, 1 replica(s), timeout 1000 ms) |');
    expect(en).toContain('| Transactions lost (GTID sets: old primary / promoted replica) | 0 (0-1-180 / 0-1-180) |');
    const ko = renderMarkdownReport(report({ semiSyncAtFault: { enabled: true, active: false, clients: 0, waitPoint: 'AFTER_SYNC', noTx: 3 }, transactionsLost: 3, gtidPrimaryAtFault: '0-1-60', gtidReplicaAtPromotion: '0-1-57', promotionForced: true }), { lang: 'ko' });
    expect(ko).toContain('| 장애 시점의 반동기 복제 | 비동기로 전환됨 (확인받지 못한 커밋 3건) |');
    expect(ko).toContain('3 (0-1-60 / 0-1-57), 승격 강제됨');
  });
});
