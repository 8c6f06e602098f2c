/** Build the renderer once before the UI tests (skipped when out/renderer is fresh). */
import { ensureRendererBuilt } from './harness';

export default function setup(): void {
  ensureRendererBuilt();
}
