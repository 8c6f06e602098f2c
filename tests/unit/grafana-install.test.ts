/**
 * Grafana, Loki and promtail from Grafana's repository (issue 14 item 8):
 * who gets what, the configs as Loki and promtail read them, firewall rules
 * only for what runs, the steps only on VMware (the Linux lab and Incus
 * guests are offline by design), and the plan line in both languages.
 * The install itself needs a guest with internet, which this machine has
 * not; the offline path runs for real in tests/integration/vmware-lab.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { grafanaAptSource, grafanaPort, grafanaRoleFiles, grafanaRoles, grafanaUfwRules, LOKI_CONF_PATH, PROMTAIL_CONF_PATH, promtailUnreachable, renderLokiConfig, renderPromtailConfig } from '../../src-main/configs/grafana-install';
import { createHypervisor } from '../../src-main/hypervisor/factory';
import { GuestPool } from '../../src-main/lab/guest-pool';
import { labRef } from '../../src-main/lab/lab-home';
import { missingPackages } from '../../src-main/provision/grafana-steps';
import { buildSteps, buildStepsCount } from '../../src-main/provision/provisioner';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import { render } from '../../src-main/shared/i18n';
import { loadLab, makeCtx } from '../golden/configs/support/render';

const seed = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');
const zones = makeCtx(loadLab('onprem-zones'), 'mariadb');
const dirs: string[] = [];

interface LokiDoc {
  auth_enabled: boolean;
  server: { http_listen_port: number };
  common: { storage: { filesystem: { chunks_directory: string } }; ring: { kvstore: { store: string } } };
  schema_config: { configs: Record<string, unknown>[] };
  analytics: { reporting_enabled: boolean };
}
interface PromtailDoc {
  clients: { url: string }[];
  server: { http_listen_address: string };
  scrape_configs: { job_name: string; journal?: { labels: Record<string, string> }; static_configs?: { labels: Record<string, string> }[] }[];
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('who gets what from Grafana’s repository', () => {
  it('seed lab: Grafana and Loki beside Prometheus (lb-slave), promtail on every VM', () => {
    const roles = grafanaRoles(seed);
    expect(roles[0]).toEqual({ vm: 'lb-slave', packages: ['grafana', 'loki', 'promtail'], units: ['grafana-server.service', 'loki.service', 'promtail.service'] });
    expect(roles.map((r) => r.vm).sort()).toEqual(seed.lab.nodes.map((n) => n.hostname).sort());
    for (const r of roles.slice(1)) expect(r.packages).toEqual(['promtail']);
    expect(promtailUnreachable(seed)).toEqual([]);
  });

  it('zones: a VM with no network shared with Loki’s VM gets no promtail (the zone policy names no log traffic)', () => {
    const left = promtailUnreachable(zones);
    const loki = zones.lab.lab.services.monitoring!.loki ?? zones.lab.lab.services.monitoring!.prometheus;
    // Seed 000: monitoring and backup alone in the management zone.
    expect(loki).toBe('mon');
    expect(left.sort()).toEqual(zones.lab.nodes.map((n) => n.hostname).filter((h) => !['mon', 'backup', 'fw'].includes(h)).sort());
    expect(grafanaRoles(zones).map((r) => r.vm).sort()).toEqual(['backup', 'fw', 'mon']);
    // Every VM that does get promtail pushes to Loki's address on a network it is on.
    const monAddrs = zones.lab.nodes.find((n) => n.hostname === 'mon')!.nics.map((n) => n.address);
    for (const r of grafanaRoles(zones).filter((x) => x.vm !== 'mon')) {
      const url = (parse(renderPromtailConfig(zones, r.vm)) as { clients: { url: string }[] }).clients[0]!.url;
      expect(monAddrs.some((a) => url === `http://${a}:3100/loki/api/v1/push`)).toBe(true);
    }
  });

  it('apt source: Grafana’s stable repository, signed by the key the step fetched', () => {
    expect(grafanaAptSource()).toBe('deb [signed-by=/etc/apt/keyrings/grafana.asc] https://apt.grafana.com stable main\n');
  });

  it('what dpkg reports missing is what gets installed', () => {
    const role = grafanaRoles(seed)[0]!;
    expect(missingPackages(role, 'yes\nno\nno\n')).toEqual(['loki', 'promtail']);
    expect(missingPackages(role, 'yes\nyes\nyes\n')).toEqual([]);
    expect(missingPackages(role, '')).toEqual(['grafana', 'loki', 'promtail']);
  });
});

describe('Loki and promtail configs', () => {
  it('Loki: one process, data on the VM’s disk, port 3100, schema v13 on tsdb, no usage reporting', () => {
    const doc = parse(renderLokiConfig(seed)) as LokiDoc;
    expect(doc.auth_enabled).toBe(false);
    expect(doc.server.http_listen_port).toBe(3100);
    expect(doc.common.storage.filesystem.chunks_directory).toBe('/var/lib/loki/chunks');
    expect(doc.common.ring.kvstore.store).toBe('inmemory');
    expect(doc.schema_config.configs[0]).toMatchObject({ store: 'tsdb', object_store: 'filesystem', schema: 'v13' });
    expect(doc.analytics.reporting_enabled).toBe(false);
  });

  it('promtail: the journal and /var/log labelled with lab and node, pushed to Loki at the address the VM reaches it by', () => {
    const app = parse(renderPromtailConfig(seed, 'app-server-01')) as PromtailDoc;
    const lbSlave = seed.lab.nodes.find((n) => n.hostname === 'lb-slave')!;
    const appNets = new Set(seed.lab.nodes.find((n) => n.hostname === 'app-server-01')!.nics.map((n) => n.network));
    const lokiAddr = lbSlave.nics.find((n) => appNets.has(n.network))!.address;
    expect(app.clients).toEqual([{ url: `http://${lokiAddr}:3100/loki/api/v1/push` }]);
    expect(app.server.http_listen_address).toBe('127.0.0.1');
    expect(app.scrape_configs.map((s) => s.job_name)).toEqual(['journal', 'varlog']);
    expect(app.scrape_configs[0]!.journal!.labels).toMatchObject({ lab: seed.lab.name, node: 'app-server-01' });
    expect(app.scrape_configs[1]!.static_configs![0]!.labels.__path__).toBe('/var/log/*.log');
    // On Loki's own VM: loopback.
    expect((parse(renderPromtailConfig(seed, 'lb-slave')) as PromtailDoc).clients[0]!.url).toBe('http://127.0.0.1:3100/loki/api/v1/push');
  });

  it('the packaged units start with halab’s configs through drop-ins (ExecStart cleared first)', () => {
    const files = grafanaRoleFiles(seed, grafanaRoles(seed)[0]!);
    expect(files.map((f) => f.path)).toEqual(['/etc/systemd/system/grafana-server.service.d/halab.conf', LOKI_CONF_PATH, '/etc/systemd/system/loki.service.d/halab.conf', PROMTAIL_CONF_PATH, '/etc/systemd/system/promtail.service.d/halab.conf']);
    expect(files[0]!.content).toContain('Environment=GF_SERVER_HTTP_PORT=3000\n');
    expect(files[2]!.content).toContain(`ExecStart=\nExecStart=/usr/bin/loki -config.file=${LOKI_CONF_PATH}\n`);
  });

  it('Grafana moves to 3001 when its VM already serves the app on 3000', () => {
    expect(grafanaPort(seed)).toBe(3000);
    const app = seed.lab.lab.services.app!;
    const shared = { lab: { ...seed.lab, lab: { ...seed.lab.lab, services: { ...seed.lab.lab.services, monitoring: { ...seed.lab.lab.services.monitoring!, prometheus: app.members[0]! } } } } };
    expect(app.port).toBe(3000);
    expect(grafanaPort(shared)).toBe(3001);
  });
});

describe('firewall: a port only for what runs, only for who needs it', () => {
  it('Grafana 3000 from the admin sources, Loki 3100 from each other VM’s addresses; nothing on promtail-only VMs', () => {
    const [loki, ...others] = grafanaRoles(seed);
    const rules = grafanaUfwRules(seed, loki!).map((r) => r.join(' '));
    const grafana = rules.filter((r) => / port 3000 /.test(r));
    const lokiRules = rules.filter((r) => / port 3100 /.test(r));
    expect(grafana.length).toBe(seed.lab.networks.length); // no adminSources in the seed: each network's host address
    for (const r of grafana) expect(r).toMatch(/^ufw allow from \d+\.\d+\.\d+\.1\/32 to any port 3000 proto tcp comment halab grafana$/);
    expect(lokiRules.length).toBeGreaterThanOrEqual(others.length);
    for (const o of others) expect(lokiRules.some((r) => r.endsWith(`halab loki from ${o.vm}`))).toBe(true);
    for (const o of others) expect(grafanaUfwRules(seed, o)).toEqual([]);
  });
});

describe('steps: VMware only', () => {
  const build = (kind: 'vmware' | 'linux') => {
    const root = mkdtempSync(join(tmpdir(), 'halab-grafana-'));
    dirs.push(root);
    const hv = createHypervisor(kind);
    const lab = labRef(seed.lab.name, root);
    const pool = new GuestPool({ hv, lab, resolved: seed.lab, key: { privateKey: '', publicKey: 'ssh-ed25519 AAAA test', path: join(root, 'key') } as never });
    return buildSteps({ hv, lab, resolved: seed.lab, templates: { 'ubuntu-22.04': join(root, 'template.vmx') } }, seed, pool, [], 'ssh-ed25519 AAAA test');
  };

  it('VMware: one step per VM after its services, counted in the progress total', () => {
    const steps = build('vmware');
    const mine = steps.filter((s) => s.id.startsWith('mon:'));
    expect(mine.map((s) => s.id).sort()).toEqual(seed.lab.nodes.map((n) => `mon:${n.hostname}:grafana`).sort());
    for (const s of mine) expect(s.deps).toEqual([`vm:${s.vm}:services`]);
    expect(render('ko', mine.find((s) => s.vm === 'lb-slave')!.titleMsg!)).toBe('lb-slave에 grafana, loki, promtail 설치');
    expect(steps.find((s) => s.id === 'lab:verify')!.deps).toEqual(expect.arrayContaining(mine.map((s) => s.id)));
    expect(buildStepsCount(seed.lab, 'all', 'vmware')).toBe(steps.length);
  });

  it('the Linux lab: no step (its guests are offline by design), and the count follows', () => {
    const steps = build('linux');
    expect(steps.some((s) => s.id.startsWith('mon:'))).toBe(false);
    expect(buildStepsCount(seed.lab, 'all', 'linux')).toBe(steps.length);
    expect(buildStepsCount(seed.lab, 'all', 'vmware') - buildStepsCount(seed.lab, 'all', 'linux')).toBe(seed.lab.nodes.length);
  });

  it('the plan says where each part goes, and that offline guests get none of it, in both languages', () => {
    const line = computePlan(seed.lab).serviceMsgs.find((m) => m.code === 'mon.plan.grafana')!;
    expect(render('en', line)).toMatch(/^Grafana \(on lb-slave, port 3000 .*Loki \(on lb-slave, port 3100.*not installed and no port is opened/);
    expect(render('ko', line)).toMatch(/^Grafana\(lb-slave, .*오프라인이므로 설치하지 않고 포트도 열지 않습니다\.$/);
  });
});
