/** Which links the desktop window hands to the system browser (src-main/electron/external-links.ts). */
import { describe, expect, it } from 'vitest';
import { DOCUMENTATION_HOSTS, ExternalLinks } from '../../src-main/electron/external-links';

describe('shell.openExternal allowlist', () => {
  it('opens https documentation pages on the named hosts', () => {
    const links = new ExternalLinks();
    for (const host of DOCUMENTATION_HOSTS) expect(links.allowed(`https://${host}/some/page?q=1#x`)).toBe(`https://${host}/some/page?q=1#x`);
  });

  it('refuses documentation hosts over http, on another port, with credentials, or as look-alike names', () => {
    const links = new ExternalLinks();
    for (const url of [
      'http://docs.vmware.com/',
      'https://docs.vmware.com:8443/',
      'https://user:pw@docs.vmware.com/',
      'https://docs.vmware.com.evil.example/',
      'https://evil-docs.vmware.com/',
      'https://example.com/',
    ]) {
      expect(links.allowed(url), url).toBeNull();
    }
  });

  it('refuses other schemes and junk', () => {
    const links = new ExternalLinks();
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://192.168.10.5/share', 'ms-settings:network', 'vscode://x', 'data:text/html,hi', '', 'not a url', 'http://[']) {
      expect(links.allowed(url), url).toBeNull();
    }
  });

  it("opens a running lab's web page only after the backend announced it in monitor:state", () => {
    const links = new ExternalLinks();
    const prom = 'http://192.168.10.31:9090/';
    expect(links.allowed(prom)).toBeNull();
    links.observeEvent('monitor:state', { lab: 'x', prometheusUrl: prom, grafanaUrl: 'http://192.168.10.31:3000/' });
    expect(links.allowed(prom)).toBe(prom);
    expect(links.allowed('http://192.168.10.31:9090/graph?g0.expr=up')).toBe('http://192.168.10.31:9090/graph?g0.expr=up');
    expect(links.allowed('http://192.168.10.31:3000/d/x')).toBe('http://192.168.10.31:3000/d/x');
    // Same address, another port or scheme: another service, not announced.
    expect(links.allowed('http://192.168.10.31:22/')).toBeNull();
    expect(links.allowed('https://192.168.10.31:9090/')).toBeNull();
    // A neighbour in the same subnet was not announced either.
    expect(links.allowed('http://192.168.10.32:9090/')).toBeNull();
    expect(links.allowed('http://admin:pw@192.168.10.31:9090/')).toBeNull();
  });

  it('ignores announcements that are not lab addresses (public, loopback, names) and other event channels', () => {
    const links = new ExternalLinks();
    links.observeEvent('monitor:state', { prometheusUrl: 'http://8.8.8.8:9090/', grafanaUrl: 'http://127.0.0.1:3000/' });
    links.observeEvent('monitor:state', { prometheusUrl: 'http://prometheus.example:9090/' });
    links.observeEvent('log:line', { prometheusUrl: 'http://10.0.0.5:9090/' });
    links.observeEvent('monitor:state', null);
    links.observeEvent('monitor:state', { prometheusUrl: 42 });
    links.announceLabUrl('file:///10.0.0.5');
    for (const url of ['http://8.8.8.8:9090/', 'http://127.0.0.1:3000/', 'http://prometheus.example:9090/', 'http://10.0.0.5:9090/']) {
      expect(links.allowed(url), url).toBeNull();
    }
  });

  it('treats other spellings of an address as the same origin (the URL parser normalises them)', () => {
    const links = new ExternalLinks();
    links.announceLabUrl('http://10.20.0.9:9090/');
    expect(links.allowed('http://10.20.0.9:9090')).toBe('http://10.20.0.9:9090/');
    expect(links.allowed('HTTP://10.20.0.9:9090/x')).toBe('http://10.20.0.9:9090/x');
  });

  it('remembers a bounded number of lab origins, oldest dropped first', () => {
    const links = new ExternalLinks();
    for (let i = 0; i < 70; i++) links.announceLabUrl(`http://10.0.${i}.2:9090/`);
    expect(links.allowed('http://10.0.0.2:9090/')).toBeNull();
    expect(links.allowed('http://10.0.69.2:9090/')).toBe('http://10.0.69.2:9090/');
  });
});
