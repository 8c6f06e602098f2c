import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HypervisorError } from '../../src-main/hypervisor/types.js';
import { isVmwareStaticMac, newVmwareUuid, nicMacs, removeNicsFrom, VmxFile, vnetValue, wireNic } from '../../src-main/hypervisor/vmware/vmx-file.js';

const SAMPLE = [
  '#!/usr/bin/vmware',
  '.encoding = "UTF-8"',
  '# a comment the student wrote',
  'displayName = "web01"',
  'MemSize = "2048"',
  'ethernet0.present = "TRUE"',
  'ethernet0.generatedAddress = "00:0c:29:11:22:33"',
  'someFutureKey.unknown = "keep me"',
  '',
  'annotation = "a |22quoted|22 note"',
  '',
].join('\n');

describe('VmxFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halab-vmx-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips untouched text byte for byte (shebang, encoding, comments, unknown keys, blank lines)', () => {
    expect(VmxFile.parse(SAMPLE).toString()).toBe(SAMPLE);
    const crlf = SAMPLE.replace(/\n/g, '\r\n');
    expect(VmxFile.parse(crlf).toString()).toBe(crlf);
  });

  it('reads keys case-insensitively and decodes |XX escapes', () => {
    const vmx = VmxFile.parse(SAMPLE);
    expect(vmx.get('memsize')).toBe('2048');
    expect(vmx.get('DISPLAYNAME')).toBe('web01');
    expect(vmx.get('annotation')).toBe('a "quoted" note');
    expect(vmx.encoding).toBe('UTF-8');
  });

  it('upserts in place, keeping the original spelling and order, and appends new keys', () => {
    const vmx = VmxFile.parse(SAMPLE);
    vmx.set('memsize', '4096').set('msg.autoAnswer', 'TRUE').set('annotation', 'say "hi"');
    const out = vmx.toString().split('\n');
    expect(out[4]).toBe('MemSize = "4096"');
    expect(out.filter((l) => /^memsize/i.test(l))).toHaveLength(1);
    expect(out).toContain('msg.autoAnswer = "TRUE"');
    expect(out).toContain('annotation = "say |22hi|22"');
    expect(out[0]).toBe('#!/usr/bin/vmware');
    expect(out[2]).toBe('# a comment the student wrote');
    expect(out).toContain('someFutureKey.unknown = "keep me"');
    expect(vmx.keys().indexOf('MemSize')).toBeLessThan(vmx.keys().indexOf('someFutureKey.unknown'));
  });

  it('keeps a windows-1252 file in its encoding', async () => {
    const path = join(dir, 'legacy.vmx');
    const text = '.encoding = "windows-1252"\ndisplayName = "caf\u00e9"\n';
    await writeFile(path, Buffer.from(text, 'latin1'));
    const vmx = await VmxFile.read(path);
    expect(vmx.get('displayName')).toBe('caf\u00e9');
    vmx.set('numvcpus', '2');
    await vmx.write(path, { state: 'off' });
    const bytes = await readFile(path);
    expect(bytes.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(true);
    expect(bytes.toString('latin1')).toContain('numvcpus = "2"');
  });

  it('writes atomically: no temp file left, and the target is replaced whole', async () => {
    const path = join(dir, 'vm.vmx');
    await writeFile(path, SAMPLE);
    const vmx = await VmxFile.read(path);
    vmx.set('numvcpus', '4');
    await vmx.write(path);
    expect(await readdir(dir)).toEqual(['vm.vmx']);
    expect((await VmxFile.read(path)).get('numvcpus')).toBe('4');
  });

  it('refuses to write while the VM is running or suspended, or when a .lck folder exists', async () => {
    const path = join(dir, 'vm.vmx');
    await writeFile(path, SAMPLE);
    const vmx = VmxFile.parse(SAMPLE).set('memsize', '8192');
    await expect(vmx.write(path, { state: 'running' })).rejects.toMatchObject({ code: 'bad-state' });
    await expect(vmx.write(path, { state: 'suspended' })).rejects.toBeInstanceOf(HypervisorError);
    await mkdir(join(dir, 'vm.vmx.lck'));
    await expect(vmx.write(path)).rejects.toThrow(/in use/);
    expect(await readFile(path, 'utf8')).toBe(SAMPLE);
    await vmx.write(path, { state: 'off' });
    expect((await VmxFile.read(path)).get('memsize')).toBe('8192');
  });

  it('wires NICs to a custom VMnet with a static MAC and removes extra NICs', () => {
    const vmx = VmxFile.parse(SAMPLE);
    removeNicsFrom(vmx, 0);
    expect(vmx.has('ethernet0.present')).toBe(false);
    wireNic(vmx, 0, { vnet: 'vmnet2', mac: '00:50:56:2A:00:01' }, 'linux');
    wireNic(vmx, 1, { vnet: 'vmnet3', mac: '00:50:56:2a:00:02', virtualDev: 'vmxnet3' }, 'win32');
    expect(vmx.get('ethernet0.connectionType')).toBe('custom');
    expect(vmx.get('ethernet0.vnet')).toBe('/dev/vmnet2');
    expect(vmx.get('ethernet1.vnet')).toBe('VMnet3');
    expect(vmx.get('ethernet0.addressType')).toBe('static');
    expect(vmx.get('ethernet0.address')).toBe('00:50:56:2a:00:01');
    expect(vmx.get('ethernet0.virtualDev')).toBe('e1000');
    expect(vmx.get('ethernet1.virtualDev')).toBe('vmxnet3');
    expect(vmx.has('ethernet0.generatedAddress')).toBe(false);
    expect([...nicMacs(vmx).values()]).toEqual(['00:50:56:2a:00:01', '00:50:56:2a:00:02']);
    expect(() => wireNic(vmx, 2, { vnet: 'vmnet2', mac: '00:50:56:9a:00:01' })).toThrow(/static range/);
    expect(vnetValue('vmnet19', 'win32')).toBe('VMnet19');
  });

  it('validates static MACs and makes fresh VMware-style UUIDs', () => {
    expect(isVmwareStaticMac('00:50:56:3f:ff:ff')).toBe(true);
    expect(isVmwareStaticMac('00:50:56:40:00:00')).toBe(false);
    expect(isVmwareStaticMac('00:0c:29:00:00:01')).toBe(false);
    const a = newVmwareUuid();
    expect(a).toMatch(/^([0-9a-f]{2} ){7}[0-9a-f]{2}-([0-9a-f]{2} ){7}[0-9a-f]{2}$/);
    expect(newVmwareUuid()).not.toBe(a);
  });
});
