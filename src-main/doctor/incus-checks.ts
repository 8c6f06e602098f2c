/**
 * `halab doctor --provider incus`: the Incus/LXD daemon (local socket or the
 * remote), trust, the storage pool behind the default profile, no NAT bridge
 * (lxdbr0) lying around, the lab image, room for the lab (the project's
 * limits and the server's memory against the blueprint's totals), this
 * computer's kernel limits that all containers share, and KVM for
 * VM instances. Read-only: nothing is created. Every line from the catalog.
 */
import { IncusProvider } from '../hypervisor/incus';
import { hostLimitsCheck } from '../hypervisor/incus/host-limits';
import { aliasTarget, baseAlias } from '../hypervisor/incus/image';
import { mib } from '../hypervisor/incus/project';
import { projectName } from '../hypervisor/incus/names';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseCacheDir } from '../hypervisor/linux/base-image';
import { debianArch, loadRecipe, recipeHash } from '../hypervisor/linux/recipe';
import type { ResolvedLab } from '../shared/blueprint/model';
import { checkLine } from '../shared/i18n/check-line';
import { msg, type Message } from '../shared/i18n';
import type { CheckLine } from '../shared/ipc/contract';

export interface IncusDoctorOptions {
  resolved?: ResolvedLab;
  /** Remote name (else HALAB_INCUS_REMOTE, else the local socket). */
  remote?: string;
  /** A provider to check (tests). */
  provider?: IncusProvider;
}

/** Every Incus/LXD line; never throws for a failed check. */
export async function incusChecks(o: IncusDoctorOptions = {}): Promise<CheckLine[]> {
  const hv = o.provider ?? new IncusProvider({ remote: o.remote });
  const lines: CheckLine[] = [];
  let c;
  let info;
  try {
    c = await hv.client();
    info = await c.server(true);
  } catch (e) {
    return [checkLine('incus-daemon', 'error', msg('inc.doc.daemonMissing'), msg('inc.doc.daemonMissing.detail', { reason: (e as Error).message }), msg('inc.doc.daemonMissing.fix'))];
  }
  const f = await c.facts();
  const env = info.environment ?? {};
  let clustered = '';
  if (env.server_clustered) {
    const members = await c.get<string[]>('/1.0/cluster/members').catch(() => [] as string[]);
    clustered = `${members.length}`;
  }
  lines.push(
    checkLine('incus-daemon', 'ok', msg('inc.doc.daemonOk', { server: f.label, version: env.server_version ?? '?' }), msg('inc.doc.daemonOk.detail', { where: c.where, clustered: clustered ? msg('inc.doc.clustered', { count: clustered }) : '' })),
  );
  if (info.auth !== 'trusted') {
    lines.push(checkLine('incus-trust', 'error', msg('inc.doc.untrusted', { server: f.label }), msg('inc.doc.untrusted.detail', { where: c.where }), msg('inc.doc.untrusted.fix')));
    return lines;
  }
  lines.push(checkLine('incus-trust', 'ok', msg('inc.doc.trusted'), msg('inc.doc.trusted.detail', { how: c.endpoint.kind === 'unix' ? msg('inc.doc.trustedLocal') : msg('inc.doc.trustedRemote', { where: c.where }) })));

  // Storage: the default profile's root disk and its pool.
  const profile = await c.get<{ devices: Record<string, Record<string, string>> }>('/1.0/profiles/default').catch(() => undefined);
  const root = Object.values(profile?.devices ?? {}).find((d) => d.type === 'disk' && d.path === '/');
  const pool = root?.pool ? await c.get<{ name: string; driver: string }>(`/1.0/storage-pools/${root.pool}`).catch(() => undefined) : undefined;
  lines.push(pool ? checkLine('incus-pool', 'ok', msg('inc.doc.poolOk', { pool: pool.name, driver: pool.driver }), msg('inc.doc.poolOk.detail')) : checkLine('incus-pool', 'error', msg('inc.doc.poolMissing'), msg('inc.doc.poolMissing.detail'), msg('inc.doc.poolMissing.fix')));

  // Network safety: a managed bridge with NAT (lxdbr0 from a default init) is named.
  const nets = await c.get<{ name: string; managed: boolean; type: string; config: Record<string, string> }[]>('/1.0/networks', { query: { recursion: '1' } }).catch(() => []);
  for (const n of nets.filter((x) => x.managed && x.config['ipv4.nat'] === 'true')) {
    lines.push(checkLine(`incus-nat-${n.name}`, 'warning', msg('inc.doc.natBridge', { name: n.name }), msg('inc.doc.natBridge.detail'), msg('inc.doc.natBridge.fix', { cli: f.cli, name: n.name })));
  }

  // The image: the alias of the current base rootfs.
  // Where the current recipe's base rootfs is (or would be): nothing is built here.
  const base = await loadRecipe().then(
    (r) => join(baseCacheDir(), `base-${recipeHash(r.files, debianArch())}`),
    () => undefined,
  );
  const alias = base ? baseAlias(base) : 'halab-base-…';
  const fp = base ? await aliasTarget(c, alias).catch(() => undefined) : undefined;
  lines.push(fp ? checkLine('incus-image', 'ok', msg('inc.doc.imageOk', { alias }), msg('inc.doc.imageOk.detail', { fingerprint: fp.slice(0, 12) })) : checkLine('incus-image', 'warning', msg('inc.doc.imageMissing'), msg('inc.doc.imageMissing.detail', { alias }), msg('inc.doc.imageMissing.fix')));

  // Room for the lab: the project's limits (when it exists) and the server's memory.
  if (o.resolved) {
    const memory = o.resolved.nodes.reduce((s, n) => s + n.memoryMiB, 0);
    const vcpus = o.resolved.nodes.reduce((s, n) => s + n.vcpus, 0);
    const res = await c.get<{ memory?: { total?: number } }>('/1.0/resources').catch(() => undefined);
    const total = Math.round((res?.memory?.total ?? 0) / 2 ** 20);
    const project = projectName(o.resolved.name);
    const proj = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${project}`).catch(() => undefined);
    const limit = proj?.config['limits.memory'] ? mib(proj.config['limits.memory']) : undefined;
    const limits = proj ? Object.entries(proj.config).filter(([k]) => k.startsWith('limits.')).map(([k, v]) => `${k}=${v}`).join(', ') || '-' : msg('inc.doc.noLimits');
    if (limit !== undefined && limit < memory) lines.push(checkLine('incus-quota', 'error', msg('inc.doc.quotaLow', { memory, limit, project }), msg('inc.doc.quotaLow.detail'), msg('inc.doc.quotaLow.fix')));
    else if (total && total < memory) lines.push(checkLine('incus-quota', 'error', msg('inc.doc.memLow', { memory, total }), msg('inc.doc.memLow.detail'), msg('inc.doc.memLow.fix')));
    else lines.push(checkLine('incus-quota', 'ok', msg('inc.doc.quotaOk', { memory, vcpus }), msg('inc.doc.quotaOk.detail', { total: total || '?', limits })));
  }

  // This computer's kernel limits that all containers share (local daemon, containers only).
  const room = await hostLimitsCheck(c, hv.instanceType, o.resolved?.nodes.length).catch(() => undefined);
  if (room) lines.push(room);

  // KVM for VM instances: the server lists qemu among its drivers. Without it, say so (an error when
  // VM instances are asked for), with what this computer has when the daemon is local.
  const drivers = env.driver ?? '?';
  if (/qemu/i.test(drivers)) lines.push(checkLine('incus-kvm', 'ok', msg('inc.doc.kvmOk'), msg('inc.doc.kvmOk.detail', { drivers })));
  else {
    const local = c.endpoint.kind === 'unix' ? await localVirt() : '';
    lines.push(checkLine('incus-kvm', hv.instanceType === 'virtual-machine' ? 'error' : 'warning', msg('inc.doc.kvmMissing'), msg('inc.doc.kvmMissing.detail', { drivers, local }), msg('inc.doc.kvmMissing.fix')));
  }
  return lines;
}

/** This computer's side of KVM: /dev/kvm and the CPU's virtualisation flags. */
async function localVirt(): Promise<Message> {
  const dev = await access('/dev/kvm').then(
    () => true,
    () => false,
  );
  const flags = /\b(vmx|svm)\b/.test(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
  const word = (b: boolean) => msg(b ? 'inc.doc.present' : 'inc.doc.absent');
  return msg('inc.doc.kvmLocal', { dev: word(dev), flags: word(flags) });
}
