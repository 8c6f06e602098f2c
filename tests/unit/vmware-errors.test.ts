import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HypervisorError } from '../../src-main/hypervisor/types.js';
import { classifyVmrunOutput, errorText, toHypervisorError, VmrunError } from '../../src-main/hypervisor/vmware/vmrun-errors.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/vmrun/${name}`, import.meta.url)), 'utf8');

describe('vmrun error classification', () => {
  it.each([
    ['error-not-powered-on.txt', 'not-powered-on'],
    ['error-tools-not-running-crlf.txt', 'tools-not-running'],
    ['error-vix-crlf.txt', 'vix-not-installed'],
    ['error-file-in-use.txt', 'file-in-use'],
    ['error-snapshot-missing.txt', 'snapshot-missing'],
    ['error-invalid-parameter.txt', 'invalid-parameter'],
    ['error-cannot-read-config.txt', 'cannot-read-config'],
    ['error-guest-exit.txt', 'guest-program-failed'],
    ['error-vm-not-found.txt', 'vm-not-found'],
  ])('%s → %s', (file, kind) => {
    expect(classifyVmrunOutput(fixture(file))).toBe(kind);
  });

  it('extracts the Error: text, joining two-line errors', () => {
    expect(errorText(fixture('error-vix-crlf.txt'))).toBe('Service type VIX_SERVICEPROVIDER_VMWARE_WORKSTATION was specified, but not installed');
    expect(errorText('plain words')).toBe('plain words');
  });

  it('marks only busy/locked/unknown failures as transient', () => {
    const err = (kind: VmrunError['kind']) => new VmrunError('x', kind, 'vmrun list', '', 255);
    expect(err('cannot-read-config').transient).toBe(true);
    expect(err('host-unavailable').transient).toBe(true);
    expect(err('snapshot-missing').transient).toBe(false);
    expect(err('not-powered-on').transient).toBe(false);
    expect(err('vix-not-installed').transient).toBe(false);
  });

  it('turns vmrun errors into HypervisorErrors with a code and a fix', () => {
    const he = toHypervisorError(new VmrunError('Service type … not installed', 'vix-not-installed', 'vmrun list', '', 4294967295), 'Listing VMs');
    expect(he).toBeInstanceOf(HypervisorError);
    expect(he.code).toBe('not-usable');
    expect(he.message).toMatch(/^Listing VMs failed/);
    expect(he.fix).toMatch(/VIX/);
    expect(toHypervisorError(new VmrunError('The snapshot does not exist', 'snapshot-missing', 'x', '', 255), 'Revert').code).toBe('not-found');
  });
});
