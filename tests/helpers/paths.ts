import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BLUEPRINTS = join(ROOT, 'lab-blueprints');
export const SHIPPED = ['vmware-3tier-ha', 'k8s-ha-platform', 'lb-pair-minimal'].map((n) => join(BLUEPRINTS, `${n}.yaml`));
