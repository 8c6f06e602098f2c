/**
 * The Plan view's zone grid (issue 14): rendered to static HTML from the
 * plan of the shipped onprem-zones lab, in English and Korean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ZoneMatrixGrid } from '../../src-renderer/src/components/zones/ZoneMatrixGrid';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from '../helpers/paths';

const plan = computePlan(validateBlueprintText(readFileSync(join(ROOT, 'lab-blueprints/onprem-zones.yaml'), 'utf8')).resolved!);

describe('ZoneMatrixGrid', () => {
  it('shows every zone pair: allowed ports (unused ones dimmed) or denied', () => {
    const html = renderToStaticMarkup(createElement(ZoneMatrixGrid, { matrix: plan.zones!, lang: 'en' }));
    expect(html).toContain('Zone firewall (router fw; everything not listed is denied)');
    expect(html.match(/data-cell="/g)).toHaveLength(12);
    expect(html).toMatch(/data-cell="dmz&gt;app"[^>]*title="not used by a service: 80\/tcp 443\/tcp">.*3000\/tcp/);
    expect(html).toMatch(/<span class="zone-port mono unused">80\/tcp<\/span>/);
    expect(html).toMatch(/data-cell="app&gt;dmz">denied</);
    expect(html).toContain('management: vmnet5 192.168.100.0/24');
  });

  it('in Korean', () => {
    const html = renderToStaticMarkup(createElement(ZoneMatrixGrid, { matrix: plan.zones!, lang: 'ko' }));
    expect(html).toContain('구역 방화벽 (라우터 fw; 목록에 없는 트래픽은 모두 차단)');
    expect(html).toMatch(/data-cell="data&gt;app">차단</);
    expect(html).toContain('출발 \\ 도착');
  });
});
