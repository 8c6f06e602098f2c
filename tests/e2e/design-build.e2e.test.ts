/**
 * Build the seed-003 lab (lab-blueprints/vmware-3tier-ha.yaml) from an empty
 * canvas by dragging and typing, watch a validation error come and go,
 * export, and compare with the shipped blueprint by meaning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openSession, ROOT, screenshot, type Session } from './support/harness';
import { AppPage, DesignPage } from './support/pages';
import { semantic } from './support/semantic';

const SEED = readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8');
const seed = parse(SEED) as { metadata: { name: string; title: string; description: string } };

let s: Session;
let app: AppPage;
let design: DesignPage;

beforeAll(async () => {
  s = await openSession({ viewport: { width: 1600, height: 1000 } });
  app = new AppPage(s.page);
  design = new DesignPage(s.page);
  await app.open(s.url);
});
afterAll(async () => {
  await s?.close();
});

describe('building the 3-tier HA lab on an empty canvas', () => {
  it('places, wires and types the whole seed-003 lab', async () => {
    const page = s.page;
    await design.newEmpty();
    await screenshot(page, '01-design-empty');

    await design.type('metadata.name', seed.metadata.name);
    await design.type('metadata.title', seed.metadata.title);
    await design.type('metadata.description', seed.metadata.description);
    await design.field('defaults.clone').selectOption('linked');

    // Networks: a NAT VMnet and a custom one, with free names and subnets picked for us.
    await design.drop('net-nat', 400, 50);
    await design.net('vmnet8').waitFor();
    await expect(design.field('networks.0.subnet').inputValue()).resolves.toBe('192.168.10.0/24');
    await design.drop('net-custom', 400, 330);
    await design.net('vmnet2').waitFor();
    await expect(design.field('networks.1.subnet').inputValue()).resolves.toBe('10.0.0.0/24');

    // VMs by role, renamed as in the seed's IP table.
    const vms: [string, string, number, number][] = [
      ['vm-loadbalancer', 'lb-master', 350, 140],
      ['vm-loadbalancer', 'lb-slave', 600, 140],
      ['vm-app', 'app-server-01', 350, 430],
      ['vm-app', 'app-server-02', 600, 430],
      ['vm-database', 'db-master', 350, 590],
      ['vm-database', 'db-slave', 600, 590],
    ];
    for (const [i, [item, host, x, y]] of vms.entries()) {
      await design.drop(item, x, y);
      await design.field(`nodes.${i}.hostname`).waitFor();
      await design.type(`nodes.${i}.hostname`, host);
      await design.vm(host).waitFor();
    }
    await design.select(design.vm('lb-slave'));
    await page.getByTestId('role-monitoring').click();

    // NICs: draw a line from each VM to its networks; the address comes from the role plan (LB .11+, app .21+, DB .31+).
    await design.connect('vm-lb-master', 't', 'net-vmnet8', 'b');
    await design.select(design.vm('lb-master'));
    await expect(design.field('nodes.0.nics.0.address').inputValue()).resolves.toBe('192.168.10.11');
    await design.connect('vm-lb-master', 'b', 'net-vmnet2', 't');
    await expect(design.field('nodes.0.nics.1.address').inputValue()).resolves.toBe('10.0.0.11');
    await design.connect('vm-lb-slave', 't', 'net-vmnet8', 'b');
    await design.connect('vm-lb-slave', 'b', 'net-vmnet2', 't');
    for (const host of ['app-server-01', 'app-server-02', 'db-master', 'db-slave']) await design.connect(`vm-${host}`, 't', 'net-vmnet2', 'b');

    const addresses: [number, string[]][] = [
      [0, ['192.168.10.11', '10.0.0.11']],
      [1, ['192.168.10.12', '10.0.0.12']],
      [2, ['10.0.0.21']],
      [3, ['10.0.0.22']],
      [4, ['10.0.0.31']],
      [5, ['10.0.0.32']],
    ];
    for (const [i, list] of addresses) {
      await design.select(design.vm(vms[i]![1]));
      for (const [j, a] of list.entries()) await design.type(`nodes.${i}.nics.${j}.address`, a);
    }

    // Load-balancer upstreams and DB replication follow from the roles.
    await page.locator('[data-testid="edge-label-repl:db-slave"]').waitFor();
    expect(await page.locator('.react-flow__edge-upstream').count()).toBe(4);

    // The VIP group: drop, type its address, draw lines to both load balancers.
    await design.drop('vip', 130, 60);
    await design.vip('web').waitFor();
    await design.type('services.vips.0.address', '192.168.10.100');
    await design.connect('vip-web', 'b', 'vm-lb-master', 't');
    await design.connect('vip-web', 'b', 'vm-lb-slave', 't');

    // Services the canvas does not draw: monitoring, backup, firewall, drills.
    await design.selectLab();
    // The Monitoring role chip set up monitoring on lb-slave.
    await expect(design.field('services.monitoring.prometheus').inputValue()).resolves.toBe('lb-slave');
    await design.field('services.monitoring.alertmanager').selectOption('lb-slave');
    await design.field('services.monitoring.loki').selectOption('lb-slave');
    await page.getByTestId('field-slack').check();
    await design.type('services.monitoring.alertReceiver.webhookUrlFile', '/etc/alertmanager/slack_webhook_url');
    await page.getByTestId('service-backup-add').click();
    await expect(design.field('services.backup.runOn').inputValue()).resolves.toBe('db-slave');
    await design.type('services.firewall.adminSources', '192.168.10.1/32, 10.0.0.1/32');
    for (const d of ['lb-master-down', 'lb-nginx-stop', 'lb-keepalived-stop', 'app-down', 'db-primary-down', 'split-brain', 'maintenance']) await page.getByTestId(`drill-${d}`).check();

    await page.getByTestId('problems-none').waitFor();
    await page.getByTestId('view-layout').click();
    await screenshot(page, '02-design-3tier-built');
  });

  it('flags an address outside its subnet and clears the error when fixed', async () => {
    const page = s.page;
    await design.select(design.vm('app-server-01'));
    await design.type('nodes.2.nics.0.address', '10.0.1.21');
    const inline = design.fieldError('nodes.2.nics.0.address');
    await inline.filter({ hasText: 'is outside the subnet 10.0.0.0/24 of vmnet2' }).waitFor();
    await design.problems().filter({ hasText: 'app-server-01' }).first().waitFor();
    expect(await design.problems().first().getAttribute('data-code')).toBe('address-outside-subnet');
    await page.locator('.vm-node.has-errors').filter({ hasText: 'app-server-01' }).waitFor();
    await screenshot(page, '03-design-validation-error');

    // Click the problem: the element is selected and its field focused.
    await design.selectLab();
    await design.problems().first().click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'field-nodes.2.nics.0.address');

    await design.type('nodes.2.nics.0.address', '10.0.0.21');
    await inline.waitFor({ state: 'detached' });
    await page.getByTestId('problems-none').waitFor();
  });

  it('exports a blueprint that means the same as lab-blueprints/vmware-3tier-ha.yaml', async () => {
    const text = await design.exportYaml();
    expect(semantic(text)).toEqual(semantic(SEED));
    // Positions are kept in the layout section for the next time it is opened.
    const exported = parse(text) as { layout?: { positions?: Record<string, unknown> } };
    expect(Object.keys(exported.layout?.positions ?? {}).sort()).toEqual(['app-server-01', 'app-server-02', 'db-master', 'db-slave', 'lb-master', 'lb-slave', 'net:vmnet2', 'net:vmnet8', 'vip:web']);
  });

  it('shows the plan with the IP table and totals against the host', async () => {
    const page = s.page;
    await design.tab('plan');
    const table = page.getByTestId('plan-ip-table');
    for (const a of ['192.168.10.11', '10.0.0.32', '192.168.10.100']) await table.getByText(a, { exact: true }).waitFor();
    expect(await page.getByTestId('plan-totals').innerText()).toContain('10 vCPU');
    await screenshot(page, '04-design-plan');
    await design.tab('yaml');
    await page.getByTestId('yaml-text').filter({ hasText: 'virtualRouterId: 51' }).waitFor();
    await screenshot(page, '05-design-yaml');
    await design.tab('canvas');
  });
});
