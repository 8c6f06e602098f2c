import { describe, expect, it } from 'vitest';
import { debianArch, listLines, loadRecipe, parseUnits, recipeHash } from '../../src-main/hypervisor/linux/recipe';

describe('Linux lab base image recipe', () => {
  it('hashes the recipe files independent of their order, sensitive to content and arch', () => {
    const files: [string, string][] = [
      ['packages.txt', 'systemd\nopenssh-server\n'],
      ['recipe.json', '{"suite":"bookworm"}'],
    ];
    const h = recipeHash(files, 'amd64');
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(recipeHash([...files].reverse(), 'amd64')).toBe(h);
    expect(recipeHash([['packages.txt', 'systemd\nopenssh-server\nnginx\n'], files[1] as [string, string]], 'amd64')).not.toBe(h);
    expect(recipeHash(files, 'arm64')).not.toBe(h);
    expect(recipeHash([['packages.tx', 'tsystemd\nopenssh-server\n'], files[1] as [string, string]], 'amd64')).not.toBe(h);
  });

  it('reads list files without comments or blanks, and unit actions', () => {
    expect(listLines('# c\nsystemd # init\n\n  curl  \n')).toEqual(['systemd', 'curl']);
    expect(parseUnits('enable ssh.service\ndisable prometheus.service\n')).toEqual([
      { action: 'enable', unit: 'ssh.service' },
      { action: 'disable', unit: 'prometheus.service' },
    ]);
    expect(() => parseUnits('start ssh.service')).toThrow(/units.txt/);
  });

  it('maps Node architectures to Debian ones', () => {
    expect(debianArch('x64')).toBe('amd64');
    expect(debianArch('arm64')).toBe('arm64');
  });

  it('ships a recipe with what the lab roles need', async () => {
    const r = await loadRecipe();
    for (const p of ['systemd', 'systemd-sysv', 'openssh-server', 'iproute2', 'netplan.io', 'ufw', 'nginx-light', 'keepalived', 'mariadb-server', 'nodejs', 'prometheus-node-exporter', 'curl', 'sudo']) {
      expect(r.packages).toContain(p);
    }
    expect(r.units).toContainEqual({ action: 'enable', unit: 'systemd-networkd.service' });
    expect(r.files.map(([p]) => p)).toContain('rootfs/etc/systemd/network/99-halab-ens.network');
    const network = r.files.find(([p]) => p.endsWith('99-halab-ens.network'))?.[1] ?? '';
    expect(network).toMatch(/Name=ens\*/);
    expect(network).toMatch(/DHCP=ipv4/);
  });
});

describe('dirs.txt', () => {
  it('parses folders with owner, group and octal mode, and rejects the rest', async () => {
    const { parseDirs } = await import('../../src-main/hypervisor/linux/recipe');
    expect(parseDirs('# c\n/var/log/mysql mysql:adm 2750\n')).toEqual([{ path: '/var/log/mysql', owner: 'mysql', group: 'adm', mode: 0o2750 }]);
    expect(() => parseDirs('var/log/mysql mysql:adm 2750')).toThrow(/dirs.txt/);
    expect(() => parseDirs('/var/../etc root:root 0755')).toThrow(/dirs.txt/);
    expect(() => parseDirs('/x root 0755')).toThrow(/dirs.txt/);
  });
});
