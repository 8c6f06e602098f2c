/**
 * `halab up / status / down --lang ko` (issue 12): every line a student reads
 * is Korean, on VMware behind the fake vmrun (no guest boots: the template is
 * missing, then gone, so provisioning stops at the clone). `--json` keeps the
 * codes and arguments.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { createFakeVmwareHost } from '../fake-vmrun/fake-env';
import { ROOT } from '../helpers/paths';

const HANGUL = /[\uac00-\ud7a3]/;
/** Words a Korean line keeps: names, paths, commands and technical terms. */
const KEEP = /^(halab|up|down|template|create|ubuntu|vmx|settings|json|templates|path|HALAB_TEMPLATE_UBUNTU_|VMnet|VMware|vmnet\d*|vmware|cli|one|solo|tmp|labs|gone|data|provider|linux|lab|fake|Settings|CLI|VMs?)$/;

/**
 * The English sentences in `text`: lines with three ASCII words of 3+ letters
 * (outside paths, quotes and the kept words), or any such word and no Hangul.
 */
function englishSentences(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .filter((l) => {
      const words = (l.replace(/"[^"]*"|\/[\w./-]+|\S+\.(vmx|yaml|json)\b/g, ' ').match(/[A-Za-z_]{3,}/g) ?? []).filter((w) => !KEEP.test(w));
      return words.length >= 3 || (!HANGUL.test(l) && words.length > 0);
    });
}

const BLUEPRINT = `apiVersion: halab/v1
kind: Lab
metadata: {name: cli-one, title: CLI test}
defaults: {template: ubuntu-22.04, vcpus: 1, memoryMiB: 512}
networks:
  - {name: vmnet5, type: hostonly, subnet: 192.168.59.0/24}
nodes:
  - {hostname: solo, roles: [app], nics: [{network: vmnet5, address: 192.168.59.11}]}
services: {vips: []}
drills: []
`;

describe('halab up/status/down in Korean (fake vmrun)', () => {
  it('says everything in Korean with --lang ko, English and JSON unchanged', { timeout: 180_000 }, async () => {
    const host = await createFakeVmwareHost();
    try {
      const data = join(host.root, 'data');
      const labs = join(host.root, 'labs');
      mkdirSync(data);
      writeFileSync(join(data, 'settings.json'), JSON.stringify({ labsDir: labs, vmwareEtcDir: host.etcDir }));
      const file = join(host.root, 'cli-one.yaml');
      writeFileSync(file, BLUEPRINT);
      const networking = readFileSync(join(host.etcDir, 'networking'), 'utf8');
      const env = { NO_COLOR: '1', HALAB_DATA_DIR: data, HALAB_ALLOW_ROOT: '1', LANG: '', LC_ALL: '', LC_MESSAGES: '' };
      const cli = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { okExitCodes: [0, 1, 2, 3], cwd: ROOT, env });

      // Not up yet.
      const before = await cli('--lang', 'ko', 'status', file);
      expect(before.stdout).toBe('cli-one 랩은 이 컴퓨터에서 실행 중이 아닙니다.\n');
      const nothing = await cli('--lang', 'ko', 'down', file);
      expect(nothing.stderr).toMatch(/^할 일이 없습니다: "cli-one" 랩은 이 컴퓨터에서 올린 적이 없습니다 \(.*cli-one 폴더 없음\)\.\n$/);

      // No template: refused before anything runs, saying what to do, in Korean.
      const noTemplate = await cli('up', file, '--provider', 'vmware', '--stage', 'vms', '--lang', 'ko');
      expect(noTemplate.exitCode).toBe(3);
      expect(noTemplate.stderr).toContain('실패: 템플릿 "ubuntu-22.04"에 맞는 VMware 템플릿이 설정되어 있지 않습니다 (solo 가상 머신이 사용). "halab template create ubuntu-22.04" 명령으로 만들거나');
      expect(englishSentences(noTemplate.stderr)).toEqual([]);

      // A template that is not there: the VMnet is made, the clone fails.
      writeFileSync(join(data, 'settings.json'), JSON.stringify({ labsDir: labs, vmwareEtcDir: host.etcDir, templates: { 'ubuntu-22.04': join(host.root, 'gone', 'gone.vmx') } }));
      const up = await cli('--lang', 'ko', 'up', file, '--provider', 'vmware', '--stage', 'vms');
      expect(up.exitCode).toBe(3);
      const ko = up.stderr;
      expect(ko).toContain(`cli-one 랩을 올리는 중: 제공자 vmware, 가상 머신 1대, 가상 머신만. 상태 폴더: ${join(labs, 'cli-one')}\n`);
      expect(ko).toContain('… VMnet vmnet5 네트워크 (192.168.59.0/24)\n');
      expect(ko).toMatch(/^✓ VMnet vmnet5 네트워크 \(192\.168\.59\.0\/24\) \d+\.\d초$/m);
      expect(ko).toMatch(/^✗ solo 가상 머신 만들기: 템플릿 파일이 없습니다: .*gone\.vmx\. 블루프린트나 설정에서 템플릿 \.vmx 경로를 지정하세요\.$/m);
      expect(ko).toContain('- solo 가상 머신 켜기: 건너뜀, 앞 단계(solo 가상 머신 만들기)가 끝나지 않음\n');
      expect(ko).toMatch(/랩이 아직 완성되지 않았습니다: 변경 1, 변경 없음 0, 실패 1, 건너뜀 2 \([\d.]+초\)\. 위의 첫 번째 실패를 고친 뒤 같은 명령을 다시 실행하세요\./);
      expect(englishSentences(ko)).toEqual([]);

      // The same in English (LANG=C) stays as it was; --json keeps codes and arguments.
      const en = await cli('up', file, '--provider', 'vmware', '--stage', 'vms');
      expect(en.stderr).toMatch(/^- vm:solo:start skipped \(vm:solo:create did not complete\)$/m);
      expect(en.stderr).toMatch(/^✗ vm:solo:create: The template .*gone\.vmx does not exist\. Set the template \.vmx path in the blueprint or in Settings\.$/m);
      const json = await cli('--lang', 'ko', 'up', file, '--provider', 'vmware', '--stage', 'vms', '--json');
      const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.find((e) => e.type === 'start')).toMatchObject({ step: 'net:vmnet5', title: 'VMnet vmnet5 (192.168.59.0/24)', titleMsg: { code: 'prov.step.network', args: { name: 'vmnet5', subnet: '192.168.59.0/24' } } });
      expect(events.find((e) => e.type === 'failed')).toMatchObject({ step: 'vm:solo:create', errorMsg: { code: 'hv.templateMissing' } });
      expect(events.find((e) => e.type === 'skipped')).toMatchObject({ reason: 'vm:solo:create did not complete', reasonMsg: { code: 'prov.skip.dependency' } });

      const status = await cli('--lang', 'ko', 'status', file);
      expect(status.stdout).toBe('cli-one 랩 (제공자 vmware)\n가상 머신  상태  주소\n---------  ----  ----\nsolo       없음  -\n');
      expect(englishSentences(status.stdout)).toEqual([]);

      const down = await cli('--lang', 'ko', 'down', file);
      expect(down.exitCode).toBe(0);
      expect(down.stderr).toMatch(/^cli-one 랩을 삭제하는 중 \(제공자 vmware\)…\n/);
      expect(down.stderr).toContain(`cli-one 랩을 삭제했습니다: 가상 머신, 네트워크와 그 파일이 모두 지워졌습니다 (키와 비밀 값은 ${join(labs, 'cli-one')} 폴더에 남습니다).\n`);
      expect(englishSentences(down.stderr)).toEqual([]);
      expect(readFileSync(join(host.etcDir, 'networking'), 'utf8')).toBe(networking);
    } finally {
      await host.cleanup();
    }
  });
});
