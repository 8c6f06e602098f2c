/**
 * `lb-nginx-stop` stops whichever load balancer engine the blueprint names;
 * its hypothesis says which (HAProxy or nginx), in English and Korean, and
 * the title no longer claims nginx. The fault itself (systemctl stop haproxy
 * on the VIP owner) runs for real in tests/integration/cache-lb-lab.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lbNginxStop, lbKeepalivedStop } from '../../src-main/drills/vip-drills';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { render } from '../../src-main/shared/i18n';
import { makeCtx, REPO } from '../golden/configs/support/render';

const ctxOf = (file: string) => makeCtx(validateBlueprintText(readFileSync(join(REPO, file), 'utf8')).resolved!, 'mariadb');

describe('lb-nginx-stop names the engine', () => {
  it('HAProxy in a haproxy lab, nginx in an nginx lab, in both languages', () => {
    const hap = lbNginxStop.hypothesis(ctxOf('tests/fixtures/blueprints/cache-lb-haproxy.yaml'));
    expect(render('en', hap)).toBe('When HAProxy stops on the VIP owner lb1, the track script fails and keepalived gives up the VIP: lb2 holds 192.168.77.100 within the master-down interval and requests succeed again.');
    expect(render('ko', hap)).toMatch(/^VIP를 가진 lb1 노드에서 로드밸런서 엔진 HAProxy 서비스가 멈추면/);
    const ngx = lbNginxStop.hypothesis(ctxOf('lab-blueprints/vmware-3tier-ha.yaml'));
    expect(render('en', ngx)).toMatch(/^When nginx stops on the VIP owner lb-master,/);
    expect(render('ko', ngx)).not.toMatch(/HAProxy/);
    for (const lang of ['en', 'ko'] as const) expect(render(lang, lbNginxStop.title)).toMatch(/nginx.*HAProxy/);
    expect(render('en', lbKeepalivedStop.hypothesis(ctxOf('tests/fixtures/blueprints/cache-lb-haproxy.yaml')))).toMatch(/^When keepalived stops on the VIP owner lb1/);
  });
});
