/** The render context of a lab on a hypervisor: what the config renderers, the monitor and the drills read. */
import type { RenderContext } from '../configs/context';
import type { Hypervisor, LabRef } from '../hypervisor/types';
import type { ResolvedLab } from '../shared/blueprint/model';
import { ensureSecrets } from './lab-home';

export async function renderContext(hv: Pick<Hypervisor, 'kind'>, lab: LabRef, resolved: ResolvedLab): Promise<RenderContext> {
  const db = resolved.lab.services.database;
  // The Linux lab has MariaDB only (Debian ships no MySQL 8 server).
  // (A PostgreSQL lab renders none of the MySQL files; `engine` then only names the unused MySQL flavour.)
  const engine = hv.kind !== 'vmware' || db?.engine === 'postgresql' ? 'mariadb' : (db?.engine ?? 'mariadb');
  return { lab: resolved, secrets: await ensureSecrets(lab), engine, nicMatch: hv.kind !== 'vmware' ? 'name' : 'mac' };
}
