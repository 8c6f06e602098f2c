/**
 * The Incus/LXD REST client against a real HTTP server on a unix socket that
 * answers like the daemon (sync, async operations with /wait, errors), and
 * the pure parts of the provider: Incus vs LXD facts, the bridge and project
 * config, names, memory units, the image tarball argv.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncusApiError, IncusClient } from '../../src-main/hypervisor/incus/client';
import { FLAVORS, flavorOf, localSocketCandidates, trustRequestBody } from '../../src-main/hypervisor/incus/flavor';
import { baseAlias, imageMetadata, labAlias, tarArgv } from '../../src-main/hypervisor/incus/image';
import { bridgeConfig } from '../../src-main/hypervisor/incus/bridges';
import { CONTAINER_CONFIG } from '../../src-main/hypervisor/incus/instance';
import { mib, projectConfig } from '../../src-main/hypervisor/incus/project';
import { guestNic, labOfProject, networkName, projectName } from '../../src-main/hypervisor/incus/names';

describe('Incus vs LXD, in one place', () => {
  it('reads the flavor from GET /1.0', () => {
    expect(flavorOf({ environment: { server: 'incus' } }).flavor).toBe('incus');
    expect(flavorOf({ environment: { server: 'lxd' } }).flavor).toBe('lxd');
    expect(flavorOf({}).flavor).toBe('lxd');
  });
  it('sends the trust token in the field each one reads', () => {
    expect(trustRequestBody(FLAVORS.incus, undefined, 'tok', 'me')).toEqual({ type: 'client', name: 'me', trust_token: 'tok' });
    expect(trustRequestBody(FLAVORS.lxd, undefined, 'tok', 'me')).toEqual({ type: 'client', name: 'me', password: 'tok' });
  });
  it('tries the Incus socket first, then LXD, unless HALAB_INCUS_SOCKET says', () => {
    const c = localSocketCandidates({});
    expect(c[0]).toBe('/var/lib/incus/unix.socket');
    expect(c).toContain('/var/lib/lxd/unix.socket');
    expect(c.indexOf('/var/lib/lxd/unix.socket')).toBeGreaterThan(0);
    expect(localSocketCandidates({ HALAB_INCUS_SOCKET: '/x.sock' })).toEqual(['/x.sock']);
  });
  it('names header prefixes per flavor', () => {
    expect(FLAVORS.incus.headerPrefix).toBe('X-Incus');
    expect(FLAVORS.lxd.headerPrefix).toBe('X-LXD');
  });
});

describe('what a lab becomes on the server', () => {
  const lab = { id: 'lb-pair-minimal', dir: '/tmp/x' };
  it('a VMnet is a bridge with the host address, no NAT, no routing, DHCP without router or DNS', () => {
    const cfg = bridgeConfig(lab, { name: 'vmnet8', type: 'nat', subnet: '192.168.20.0/24', hostAddress: '192.168.20.1', dhcp: { start: '192.168.20.128', end: '192.168.20.254' } });
    expect(cfg).toMatchObject({
      'ipv4.address': '192.168.20.1/24',
      'ipv4.nat': 'false',
      'ipv4.routing': 'false',
      'ipv4.firewall': 'false',
      'ipv6.address': 'none',
      'ipv4.dhcp': 'true',
      'ipv4.dhcp.ranges': '192.168.20.128-192.168.20.254',
      'user.halab.lab': 'lb-pair-minimal',
      'user.halab.subnet': '192.168.20.0/24',
    });
    expect(cfg['raw.dnsmasq']).toContain('dhcp-option=3');
    const noDhcp = bridgeConfig(lab, { name: 'vmnet2', type: 'hostonly', subnet: '10.9.0.0/16', hostAddress: '10.9.0.1' });
    expect(noDhcp['ipv4.dhcp']).toBe('false');
    expect(noDhcp['ipv4.address']).toBe('10.9.0.1/16');
    expect(noDhcp['ipv4.dhcp.ranges']).toBeUndefined();
  });
  it('a lab is a project sharing images and profiles, with limits from the totals', () => {
    expect(projectConfig('a')).toEqual({ 'features.images': 'false', 'features.profiles': 'false', 'features.storage.volumes': 'false', 'user.halab.lab': 'a' });
    expect(projectConfig('a', { instances: 3, vcpus: 3, memoryMiB: 3072 })).toMatchObject({ 'limits.instances': '3', 'limits.cpu': '3', 'limits.memory': '3072MiB' });
  });
  it('containers get a read-only /sys (networkd without udev)', () => {
    expect(CONTAINER_CONFIG['raw.lxc']).toBe('lxc.mount.auto = sys:ro');
  });
  it('names fit Linux interface names and differ from the Linux lab', () => {
    const n = networkName('a-very-long-lab-name-for-a-class', 'vmnet8');
    expect(n.length).toBeLessThanOrEqual(15);
    expect(n).toMatch(/^hi[0-9a-f]{5}-vmnet8$/);
    expect(networkName('x', 'some_long_network').length).toBeLessThanOrEqual(15);
    expect(networkName('a', 'vmnet8')).not.toBe(networkName('b', 'vmnet8'));
    expect(projectName('lab1')).toBe('halab-lab1');
    expect(labOfProject('halab-lab1')).toBe('lab1');
    expect(labOfProject('default')).toBeUndefined();
    expect(guestNic(0)).toBe('ens33');
    expect(guestNic(2)).toBe('ens35');
  });
  it('reads memory sizes in MiB', () => {
    expect(mib('1024MiB')).toBe(1024);
    expect(mib('2GiB')).toBe(2048);
    expect(mib('1073741824')).toBe(1024);
    expect(mib('nonsense')).toBe(0);
  });
  it('packs the base rootfs as a unified image: metadata.yaml and rootfs/, symlink targets untouched', () => {
    const argv = tarArgv('/o.tar', '/meta', '/var/cache/halab/base-0123');
    expect(argv.slice(0, 2)).toEqual(['tar', '--numeric-owner']);
    expect(argv).toContain('flags=rh;s,^\\.,rootfs,');
    expect(argv.join(' ')).toContain('-C /meta metadata.yaml -C /var/cache/halab/base-0123');
    expect(imageMetadata('/c/base-0123', new Date(1_000_000_000_000))).toContain('creation_date: 1000000000');
    expect(baseAlias('/var/cache/halab/base-0123')).toBe('halab-base-0123');
    expect(labAlias('lab1')).toBe('halab-lab-lab1');
  });
});

describe('the REST client over a unix socket', () => {
  let dir = '';
  let server: http.Server;
  const seen: string[] = [];
  let waits = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halab-incus-client-'));
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const url = req.url ?? '';
        if (url === '/1.0') return send(200, { type: 'sync', status_code: 200, metadata: { auth: 'trusted', environment: { server: 'lxd', server_version: '5.0.2' } } });
        if (url.startsWith('/1.0/instances?project=p1')) return send(202, { type: 'async', status_code: 100, operation: '/1.0/operations/op1', metadata: { id: 'op1', status: 'Running', status_code: 103 } });
        if (url.startsWith('/1.0/operations/op1/wait')) {
          waits++;
          // The first wait times out still running; the second reports success.
          return send(200, { type: 'sync', metadata: waits < 2 ? { id: 'op1', status: 'Running', status_code: 103, err: '' } : { id: 'op1', status: 'Success', status_code: 200, err: '', metadata: { fingerprint: 'abc' } } });
        }
        if (url.startsWith('/1.0/networks/bad')) return send(202, { type: 'async', operation: '/1.0/operations/op2', metadata: { id: 'op2' } });
        if (url.startsWith('/1.0/operations/op2/wait')) return send(200, { type: 'sync', metadata: { id: 'op2', status: 'Failure', status_code: 400, err: 'Network is in use' } });
        if (url.startsWith('/1.0/files')) return send(200, { type: 'sync', metadata: {} });
        if (url.startsWith('/1.0/garbage')) {
          res.writeHead(502);
          return res.end('<html>');
        }
        return send(404, { type: 'error', error_code: 404, error: 'not found' });
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'unix.socket'), r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const client = () => new IncusClient({ kind: 'unix', socketPath: join(dir, 'unix.socket') });

  it('reads GET /1.0 and tells LXD', async () => {
    const c = client();
    expect((await c.server()).auth).toBe('trusted');
    expect((await c.facts()).label).toBe('LXD');
  });
  it('waits for an async operation until it succeeds, passing the project', async () => {
    const op = await client().op('POST', '/1.0/instances', { project: 'p1', body: { name: 'x' } });
    expect(op.status).toBe('Success');
    expect(op.metadata).toEqual({ fingerprint: 'abc' });
    expect(waits).toBe(2);
    expect(seen.some((s) => s.startsWith('POST /1.0/instances?project=p1 {"name":"x"}'))).toBe(true);
    expect(seen.filter((s) => s.startsWith('GET /1.0/operations/op1/wait?project=p1')).length).toBe(2);
  });
  it('turns a failed operation into an error with its message', async () => {
    const e = await client().op('DELETE', '/1.0/networks/bad').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IncusApiError);
    expect((e as IncusApiError).message).toBe('Network is in use');
    expect((e as IncusApiError).status).toBe(400);
  });
  it('reports 404 as notFound, and non-JSON answers plainly', async () => {
    const e = (await client().get('/1.0/instances/nope').catch((x: unknown) => x)) as IncusApiError;
    expect(e.notFound).toBe(true);
    const g = (await client().get('/1.0/garbage').catch((x: unknown) => x)) as IncusApiError;
    expect(g.message).toContain('not the API');
  });
  it('sends raw bytes with the caller’s headers', async () => {
    await client().sync('POST', '/1.0/files', { data: 'hello\n', headers: { 'X-LXD-Mode': '0600' } });
    expect(seen.at(-1)).toBe('POST /1.0/files hello\n');
  });
  it('says where when the daemon is not there', async () => {
    const e = (await new IncusClient({ kind: 'unix', socketPath: join(dir, 'none.socket') }).get('/1.0').catch((x: unknown) => x)) as IncusApiError;
    expect(e.status).toBe(0);
    expect(e.message).toContain('none.socket');
  });
});
