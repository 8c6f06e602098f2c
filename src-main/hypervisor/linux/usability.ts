/**
 * Can the Linux lab run on this computer? Each missing piece is reported in
 * plain words with the command that fixes it.
 */
import { readFile } from 'node:fs/promises';
import { msg } from '../../shared/i18n';
import type { Usability } from '../types';
import { which } from './machine';

/** A program the provider runs, and the Debian package that brings it. */
const PROGRAMS: [program: string, pkg: string, what: string][] = [
  ['systemd-nspawn', 'systemd-container', 'boots each lab VM'],
  ['ip', 'iproute2', 'creates namespaces, bridges and virtual cables'],
  ['dnsmasq', 'dnsmasq-base', 'hands out DHCP addresses on lab networks'],
  ['debootstrap', 'debootstrap', 'builds the Debian base image once'],
  ['start-stop-daemon', 'dpkg', 'runs VMs in the background'],
  ['mount', 'mount', 'mounts the VM disks (overlay clones)'],
  ['cp', 'coreutils', 'copies snapshots'],
];

/** Check root, Linux, the programs and overlayfs. Never throws. */
export async function checkLinuxUsable(): Promise<Usability> {
  try {
    if (process.platform !== 'linux') {
      return { usable: false, reason: 'The Linux lab runs only on Linux.', fix: 'Use the VMware provider on this computer (--provider vmware).', reasonMsg: msg('use.linuxOnly'), fixMsg: msg('use.linuxOnly.fix') };
    }
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
      return {
        usable: false,
        reason: 'The Linux lab needs root: it creates network namespaces, bridges, mounts and containers.',
        fix: 'Run it as root, for example `sudo halab up FILE --provider linux`.',
        reasonMsg: msg('use.root'),
        fixMsg: msg('use.root.fix'),
      };
    }
    const missing: [string, string, string][] = [];
    const found: string[] = [];
    for (const [program, pkg, what] of PROGRAMS) {
      const path = await which(program);
      if (path) found.push(path);
      else missing.push([program, pkg, what]);
    }
    if (missing.length > 0) {
      const pkgs = [...new Set(missing.map((m) => m[1]))];
      return {
        usable: false,
        reason: `Missing program${missing.length > 1 ? 's' : ''}: ${missing.map(([p, , w]) => `${p} (${w})`).join(', ')}.`,
        fix: `Run \`sudo apt-get install ${pkgs.join(' ')}\` (or \`sudo bash scripts/linux-lab/setup.sh\`).`,
        reasonMsg: msg('use.missing', { programs: missing.map(([p]) => p).join(', ') }),
        fixMsg: msg('use.missing.fix', { packages: pkgs.join(' ') }),
      };
    }
    const fs = await readFile('/proc/filesystems', 'utf8').catch(() => '');
    if (!/\boverlay\b/.test(fs)) {
      return {
        usable: false,
        reason: 'This kernel has no overlay filesystem, which the Linux lab uses for linked clones.',
        fix: 'Run `sudo modprobe overlay` (or use a kernel with CONFIG_OVERLAY_FS).',
        reasonMsg: msg('use.overlay'),
        fixMsg: msg('use.overlay.fix'),
      };
    }
    return { usable: true, details: found.join(', ') };
  } catch (e) {
    return { usable: false, reason: `Could not check this computer: ${(e as Error).message}`, fix: 'Run the command again as root.', reasonMsg: msg('use.checkFailed', { error: (e as Error).message }), fixMsg: msg('use.checkFailed.fix') };
  }
}
