import { describe, expect, it } from 'vitest';
import { formatIpv4, formatMac, generatedMac, isPrivateCidr, isVmwareStaticMac, parseCidr, parseIpv4, parseMac } from '../../src-main/shared/blueprint/ip';
import { defaultDhcp } from '../../src-main/shared/blueprint/model';

describe('ipv4', () => {
  it('parses and formats', () => {
    expect(formatIpv4(parseIpv4('192.168.10.100')!)).toBe('192.168.10.100');
    expect(parseIpv4('256.1.1.1')).toBeUndefined();
    expect(parseIpv4('01.1.1.1')).toBeUndefined();
    expect(parseIpv4('1.1.1')).toBeUndefined();
  });

  it('checks CIDRs and says why', () => {
    expect(parseCidr('10.0.0.0/24')).toMatchObject({ ok: true, cidr: { prefix: 24 } });
    const r = parseCidr('10.0.0.5/24');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('did you mean 10.0.0.0/24');
    expect(parseCidr('10.0.0.0/40').ok).toBe(false);
    expect(parseCidr('10.0.0.0').ok).toBe(false);
  });

  it('knows private ranges', () => {
    const c = (t: string) => (parseCidr(t) as { ok: true; cidr: never }).cidr;
    expect(isPrivateCidr(c('172.16.0.0/24'))).toBe(true);
    expect(isPrivateCidr(c('172.32.0.0/24'))).toBe(false);
    expect(isPrivateCidr(c('10.0.0.0/7'))).toBe(false);
  });

  it('uses VMware’s DHCP pool on a /24', () => {
    const c = (parseCidr('192.168.10.0/24') as { ok: true; cidr: never }).cidr;
    expect(defaultDhcp(c)).toEqual({ start: '192.168.10.128', end: '192.168.10.254' });
  });
});

describe('mac', () => {
  it('parses, formats and knows VMware’s static range', () => {
    expect(formatMac(parseMac('00:50:56:3F:FF:FF')!)).toBe('00:50:56:3f:ff:ff');
    expect(isVmwareStaticMac(parseMac('00:50:56:3f:ff:ff')!)).toBe(true);
    expect(isVmwareStaticMac(parseMac('00:50:56:40:00:00')!)).toBe(false);
  });

  it('generates deterministic MACs inside the static range', () => {
    const a = generatedMac('lab', 'lb1', 0);
    expect(a).toBe(generatedMac('lab', 'lb1', 0));
    expect(a).not.toBe(generatedMac('lab', 'lb1', 1));
    for (let i = 0; i < 200; i++) expect(isVmwareStaticMac(parseMac(generatedMac('lab', `n${i}`, i % 3))!)).toBe(true);
  });
});
