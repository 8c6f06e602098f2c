/** Placement on Incus/LXD (issue 15): the blueprint's `placement.target` → `?target=`, or the cluster decides; refusals name the VM and what to do. */
import { describe, expect, it } from 'vitest';
import { createTarget, placementLines, type ServerPlace } from '../../src-main/hypervisor/incus/placement';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { vmSpec } from '../../src-main/provision/vm-specs';
import { render } from '../../src-main/shared/i18n';
import { checkLineText } from '../../src-main/shared/i18n/check-line';
import { messageOf } from '../../src-main/shared/i18n/message-error';

const single: ServerPlace = { label: 'LXD', version: '5.0.2', where: '/var/lib/lxd/unix.socket', clustered: false, serverName: 'pc1', members: [] };
const cluster: ServerPlace = { label: 'Incus', version: '6.0.0', where: 'https://class:8443', clustered: true, serverName: 'm1', members: ['m1', 'm2', 'm3'] };

const YAML = `apiVersion: halab/v1
kind: Lab
metadata: {name: place}
networks: [{name: vmnet2, type: hostonly, subnet: 192.168.50.0/24}]
nodes:
  - {hostname: lb1, roles: [loadbalancer], nics: [{network: vmnet2, address: 192.168.50.11}], placement: {target: m2}}
  - {hostname: app1, roles: [app], nics: [{network: vmnet2, address: 192.168.50.21}]}
services: {app: {members: [app1], port: 3000}}
`;

describe('incus placement', () => {
  it('the blueprint pin reaches the VM spec; an unpinned VM has none', () => {
    const v = validateBlueprintText(YAML, { provider: 'incus' });
    expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const [lb1, app1] = v.resolved!.nodes;
    expect(vmSpec(lb1!, { provider: 'incus', sshPublicKey: 'k' }).target).toBe('m2');
    expect(vmSpec(app1!, { provider: 'incus', sshPublicKey: 'k' })).not.toHaveProperty('target');
  });

  it('plan lines: pinned member, or "the cluster decides", in en and ko', () => {
    const lines = placementLines([{ hostname: 'lb1', target: 'm2' }, { hostname: 'app1' }], cluster);
    expect(lines.map((l) => [l.id, l.level, l.title])).toEqual([
      ['place:lb1', 'ok', 'lb1 runs on the member m2'],
      ['place:app1', 'ok', 'app1: the cluster decides'],
    ]);
    expect(checkLineText(lines[1]!, 'ko').title).toBe('app1 VM의 위치는 클러스터가 정합니다');
    // Without a server (plan before the daemon answers): what the blueprint asks for.
    expect(placementLines([{ hostname: 'lb1', target: 'm2' }, { hostname: 'app1' }]).map((l) => l.title)).toEqual(['lb1 runs on the member m2', 'app1: the cluster decides']);
    // A single server: every VM runs on it.
    expect(placementLines([{ hostname: 'app1' }], single)[0]!.title).toBe('app1 runs on the server pc1');
  });

  it('a pin the server cannot meet is an error line and a refusal naming the VM and what to do', () => {
    const [bad] = placementLines([{ hostname: 'lb1', target: 'm9' }], cluster);
    expect(bad!.level).toBe('error');
    expect(bad!.title).toBe('lb1 is pinned to m9, which is not a member of the cluster');
    expect(bad!.detail).toBe('the cluster’s members: m1, m2, m3');
    expect(() => createTarget('lb1', 'm9', cluster)).toThrow(/lb1 is pinned to m9/);
    const [solo] = placementLines([{ hostname: 'lb1', target: 'm2' }], single);
    expect(solo!.level).toBe('error');
    expect(solo!.fix).toContain('Remove placement.target from lb1');
    let err: unknown;
    try {
      createTarget('lb1', 'm2', single);
    } catch (e) {
      err = e;
    }
    expect(render('en', messageOf(err)!)).toBe('lb1 is pinned to the member m2, but /var/lib/lxd/unix.socket is a single server, not a cluster. Remove placement.target from lb1 in the blueprint (or set it to pc1), or bring the lab up on the class cluster (--remote NAME).');
    expect(render('ko', messageOf(err)!)).toContain('lb1 VM은 지정된 멤버(m2)에 고정되어 있지만');
  });

  it('the target sent on create: the member on a cluster, nothing on a single server or unpinned', () => {
    expect(createTarget('lb1', 'm2', cluster)).toBe('m2');
    expect(createTarget('app1', undefined, cluster)).toBeUndefined();
    expect(createTarget('lb1', 'pc1', single)).toBeUndefined();
  });
});
