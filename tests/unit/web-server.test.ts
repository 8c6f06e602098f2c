import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createBackend } from '../../src-main/backend/backend';
import { allowedHosts, startWebServer, type WebServer } from '../../src-main/server/web-server';

let server: WebServer;
const backend = createBackend({ mode: 'web', version: 'test', dataDir: mkdtempSync(join(tmpdir(), 'halab-data-')) });
const base = () => `http://127.0.0.1:${server.port}`;
const auth = () => ({ Authorization: `Bearer ${server.token}` });

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halab-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>HA Lab Studio</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  server = await startWebServer({ backend, staticDir: dir });
});
afterAll(() => server.close());

describe('web mode security', () => {
  it('listens on loopback with a random port and prints a URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(24);
  });

  it('answers 401 without the token, for pages, assets and the API', async () => {
    for (const path of ['/', '/app.js', '/index.html']) expect((await fetch(base() + path)).status).toBe(401);
    expect((await fetch(`${base()}/api/invoke/app:info`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${base()}/?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base()}/`, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('serves the page with the token and sets an HttpOnly cookie that then admits assets', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const asset = await fetch(`${base()}/app.js`, { headers: { Cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe('console.log(1)');
  });

  it('gives the page its bearer token in a meta tag, only to a token holder', async () => {
    const html = await (await fetch(server.url)).text();
    expect(html).toBe(`<!doctype html><meta name="halab-token" content="${server.token}"><title>HA Lab Studio</title>`);
    expect(await (await fetch(`${base()}/`)).text()).not.toContain(server.token);
  });

  it('refuses path traversal', async () => {
    const r = await fetch(`${base()}/..%2f..%2fetc%2fpasswd`, { headers: auth() });
    expect([403, 404]).toContain(r.status);
  });

  it('refuses a non-loopback address unless asked', async () => {
    await expect(startWebServer({ backend, staticDir: '.', host: '0.0.0.0' })).rejects.toThrow(/--allow-remote/);
  });

  it('refuses the WebSocket without the token and accepts it with', async () => {
    const denied = await new Promise<number>((ok) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`);
      ws.on('unexpected-response', (_req, res) => ok(res.statusCode ?? 0));
      ws.on('open', () => ok(101));
    });
    expect(denied).toBe(401);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`);
    await new Promise((ok, fail) => { ws.on('open', ok); ws.on('error', fail); });
    const got = new Promise<unknown>((ok) => ws.on('message', (m) => ok(JSON.parse(String(m)))));
    backend.events.emit('log:line', { at: 1, source: 'test', line: 'hello' });
    expect(await got).toEqual({ channel: 'log:line', payload: { at: 1, source: 'test', line: 'hello' } });
    ws.close();
  });
});

// Answers are checked field by field below; their static type does not matter here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('web mode API', () => {
  const invoke = async (channel: string, body: unknown): Promise<Json> => (await fetch(`${base()}/api/invoke/${channel}`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json();

  it('answers app:info', async () => {
    expect(await invoke('app:info', {})).toMatchObject({ ok: true, data: { mode: 'web', version: 'test' } });
  });

  it('validates every payload and names the bad field', async () => {
    const r = await invoke('blueprint:validate', { text: 42 });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(r.error.issues[0].path).toBe('text');
    expect(await invoke('blueprint:validate', { text: 'x', extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(await invoke('nope:nothing', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
  });

  it('rejects a body that is not JSON', async () => {
    const r = await fetch(`${base()}/api/invoke/app:info`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{not json' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });

  it('needs the bearer header and a JSON content type', async () => {
    const page = await fetch(server.url);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const byCookie = await fetch(`${base()}/api/invoke/app:info`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{}' });
    expect(byCookie.status).toBe(401);
    expect(await byCookie.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const asText = await fetch(`${base()}/api/invoke/app:info`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'text/plain' }, body: '{}' });
    expect(asText.status).toBe(415);
  });

  it('does not open files by path in the browser', async () => {
    expect(await invoke('file:open', { path: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'not-available' } });
  });

  it('lists and reads shipped blueprints, and plans one', async () => {
    const list = await invoke('blueprint:list-shipped', {});
    expect(list.data.map((b: { id: string }) => b.id)).toEqual(['k8s-ha-platform', 'lb-pair-minimal', 'onprem-zones', 'single-entry', 'vmware-3tier-ha-fast', 'vmware-3tier-ha']);
    const read = await invoke('blueprint:read-shipped', { id: 'vmware-3tier-ha' });
    const plan = await invoke('blueprint:plan', { text: read.data.text });
    expect(plan.data.plan.totals).toMatchObject({ vms: 6, vcpus: 10, memoryMiB: 10240 });
  });
});

describe('web mode: the Host names a server answers to', () => {
  it('on loopback: the bound address and the loopback names, at its port only', () => {
    expect([...allowedHosts('127.0.0.1', 4100)].sort()).toEqual(['127.0.0.1:4100', '[::1]:4100', 'localhost:4100']);
    expect(allowedHosts('::1', 80)).toEqual(new Set(['[::1]:80', '[::1]', 'localhost:80', 'localhost', '127.0.0.1:80', '127.0.0.1']));
  });

  it('with --allow-remote: exactly the address or name it was started for', () => {
    expect([...allowedHosts('192.0.2.10', 4100)]).toEqual(['192.0.2.10:4100']);
    expect([...allowedHosts('Lab-Host.example', 4100)]).toEqual(['lab-host.example:4100']);
    expect([...allowedHosts('2001:db8::5', 4100)]).toEqual(['[2001:db8::5]:4100']);
  });

  it('on a wildcard address: this machine\'s own addresses, never a name', () => {
    const any = allowedHosts('0.0.0.0', 4100);
    expect(any.has('127.0.0.1:4100')).toBe(true);
    expect([...any].every((h) => /^(localhost|[\d.]+|\[[\da-f:.]+\]):4100$/.test(h))).toBe(true);
  });
});
