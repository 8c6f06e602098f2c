import { describe, expect, it } from 'vitest';
import {
  addressOf,
  parseAptSources,
  parseBriefAddr,
  parseLeases,
  parseMounts,
  parseProcStat,
  pickDebianMirror,
} from '../../src-main/hypervisor/linux/parse';

// Recorded from `ip netns exec halab-smoke-vm1 ip -4 -br addr` on the dev machine.
const BRIEF = `lo               UNKNOWN        127.0.0.1/8 
ens33@if8        UP             10.231.11.251/24 
ens34@if10       DOWN           
ens35@if12       UP             10.231.12.140/24 10.231.12.100/24 
`;

describe('Linux lab parsers', () => {
  it('parses `ip -4 -br addr`, dropping the @ifN peer suffix', () => {
    const rows = parseBriefAddr(BRIEF);
    expect(rows.map((r) => r.ifname)).toEqual(['lo', 'ens33', 'ens34', 'ens35']);
    expect(rows[1]).toEqual({ ifname: 'ens33', state: 'UP', addresses: ['10.231.11.251/24'] });
    expect(rows[2]?.addresses).toEqual([]);
    expect(addressOf(BRIEF, 'ens33')).toBe('10.231.11.251');
    expect(addressOf(BRIEF, 'ens35')).toBe('10.231.12.140');
    expect(addressOf(BRIEF, 'ens34')).toBeUndefined();
    expect(addressOf('', 'ens33')).toBeUndefined();
  });

  it('ignores the "metric" words newer iproute2 prints after addresses', () => {
    expect(parseBriefAddr('ens33@if8        UP             10.0.0.5/24 metric 1024 \n')[0]?.addresses).toEqual(['10.0.0.5/24']);
  });

  it('parses dnsmasq leases', () => {
    const text = `1763879000 00:50:56:2A:10:01 10.231.11.251 vm1 ff:56:2a:10:01\n1763879100 00:50:56:2a:20:02 10.231.12.130 * *\ngarbage line\n`;
    expect(parseLeases(text)).toEqual([
      { expires: 1763879000, mac: '00:50:56:2a:10:01', ip: '10.231.11.251', hostname: 'vm1' },
      { expires: 1763879100, mac: '00:50:56:2a:20:02', ip: '10.231.12.130', hostname: '*' },
    ]);
  });

  it('parses /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    const line = '4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 ';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'my (odd) prog', state: 'S', ppid: 1, starttime: 987654 });
    expect(parseProcStat('nonsense')).toBeUndefined();
  });

  it('parses /proc/mounts with octal escapes', () => {
    const text = 'overlay /tmp/lab\\040one/vms/a/merged overlay rw,lowerdir=/x 0 0\nproc /proc proc rw 0 0\n';
    const m = parseMounts(text);
    expect(m[0]).toEqual({ source: 'overlay', target: '/tmp/lab one/vms/a/merged', fstype: 'overlay', options: 'rw,lowerdir=/x' });
    expect(m).toHaveLength(2);
  });

  it('finds the mirror apt really uses, not a commented-out snapshot URL', () => {
    const deb822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;
    const list = 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n';
    const nodesource = 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n';
    const sources = [deb822, list, nodesource].flatMap(parseAptSources);
    expect(sources.map((s) => s.uri)).toContain('http://deb.debian.org/debian');
    expect(sources.map((s) => s.uri)).not.toContain('http://snapshot.debian.org/archive/debian/20250520T000000Z');
    expect(pickDebianMirror(sources, 'bookworm')).toBe('http://deb.debian.org/debian');
    expect(pickDebianMirror(parseAptSources('deb [arch=amd64] http://mirror.example/debian/ bookworm main\n'), 'bookworm')).toBe('http://mirror.example/debian');
    expect(pickDebianMirror(sources, 'trixie')).toBeUndefined();
  });
});
