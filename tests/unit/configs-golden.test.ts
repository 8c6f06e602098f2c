/**
 * Golden tests: every file rendered for every node of the three shipped
 * blueprints, for both engines, compared with tests/golden/configs/.
 * `UPDATE_GOLDEN=1 npx vitest run tests/unit/configs-golden` rewrites them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLUEPRINTS, loadLab, makeCtx, REPO } from '../golden/configs/support/render';
import { renderNodeSnapshot } from '../golden/configs/support/golden';

const GOLDEN = join(REPO, 'tests', 'golden', 'configs');
const update = process.env.UPDATE_GOLDEN === '1';

describe.each(BLUEPRINTS.flatMap((b) => (['mysql8', 'mariadb'] as const).map((e) => [b, e] as const)))('golden %s (%s)', (blueprint, engine) => {
  const lab = loadLab(blueprint);
  const ctx = makeCtx(lab, engine);
  it.each(lab.nodes.map((n) => n.hostname))('%s', (host) => {
    const text = renderNodeSnapshot(ctx, host);
    const dir = join(GOLDEN, `${blueprint}.${engine}`);
    const file = join(dir, `${host}.txt`);
    if (update) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, text);
    }
    expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 to create it`).toBe(true);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });

  it('renders the same text twice (pure, deterministic)', () => {
    const again = makeCtx(loadLab(blueprint), engine);
    for (const n of lab.nodes) expect(renderNodeSnapshot(again, n.hostname)).toBe(renderNodeSnapshot(ctx, n.hostname));
  });
});
