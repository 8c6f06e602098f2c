import { describe, expect, it } from 'vitest';
import { checkGuestRoute, judgeRoute } from '../../src-main/guest/route-guard';

describe('guest route guard', () => {
  it('allows a directly connected or local address', () => {
    expect(judgeRoute('10.77.0.11', [{ dst: '10.77.0.11', dev: 'hl-br0' }]).ok).toBe(true);
    expect(judgeRoute('127.0.0.5', [{ type: 'local', dst: '127.0.0.5', dev: 'lo' }]).ok).toBe(true);
  });

  it('refuses an address reached through a gateway, naming it', () => {
    const v = judgeRoute('192.168.20.11', [{ dst: '192.168.20.11', gateway: '192.0.2.1', dev: 'eth0' }]);
    expect(v.ok).toBe(false);
    expect(v.reason).toContain('192.0.2.1');
    expect(v.reason).toContain('eth0');
  });

  it('refuses guarded (unreachable) and missing routes', () => {
    expect(judgeRoute('10.1.2.3', [{ type: 'unreachable', dst: '10.1.2.3' }]).reason).toContain('guarded');
    expect(judgeRoute('10.1.2.3', []).ok).toBe(false);
  });

  it('asks this host for real: loopback is fine', async () => {
    expect((await checkGuestRoute('127.0.0.1')).ok).toBe(true);
  });

  it('asks this host for real: an address only the default route reaches is refused', async () => {
    // TEST-NET-2 (documentation range, RFC 5737): never a lab network, so any route to it goes through a gateway or nowhere.
    const v = await checkGuestRoute('198.51.100.7');
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/gateway|through|no route/);
  });
});
