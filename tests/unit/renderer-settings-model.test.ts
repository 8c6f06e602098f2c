import { describe, expect, it } from 'vitest';
import type { Settings, SettingsCheck } from '../../src-main/shared/ipc/contract';
import { requestSchemas } from '../../src-main/shared/ipc/contract';
import { checkPayload, clashParams, preflightLines, draftFrom, isDirty, lineFor, mergeTemplates, newRow, overrideFor, rowProblems, savePayload, splitAtSettings, templateEnvName, templateField, worst } from '../../src-renderer/src/lib/settings-model';

const saved: Settings = { theme: 'system', language: 'en', vmrunPath: '/opt/vmware/bin/vmrun', templates: { 'ubuntu-22.04': '/vms/u22/u22.vmx' }, sshUser: 'student' };

describe('the Settings form model', () => {
  it('starts from the saved settings, unset values as empty fields', () => {
    const d = draftFrom(saved);
    expect(d.vmrunPath).toBe('/opt/vmware/bin/vmrun');
    expect(d.sshUser).toBe('student');
    expect(d.labsDir).toBe('');
    expect(d.vmwareEtcDir).toBe('');
    expect(d.templates.map(({ os, path }) => ({ os, path }))).toEqual([{ os: 'ubuntu-22.04', path: '/vms/u22/u22.vmx' }]);
    expect(isDirty(d, saved)).toBe(false);
  });

  it('sends empty fields as null (auto-discovery or the default) and trims what is typed', () => {
    const d = { ...draftFrom(saved), vmrunPath: '  ', labsDir: ' /home/s/labs ' };
    const p = savePayload(d);
    expect(p.vmrunPath).toBeNull();
    expect(p.labsDir).toBe('/home/s/labs');
    expect(p.vmwareEtcDir).toBeNull();
    expect(p.templates).toEqual({ 'ubuntu-22.04': '/vms/u22/u22.vmx' });
    // Both payloads pass the contract's own schemas.
    expect(requestSchemas['settings:set'].safeParse(p).success).toBe(true);
    expect(requestSchemas['settings:check'].safeParse(checkPayload(d)).success).toBe(true);
    // The check leaves out what is as saved (the backend then checks the value in force, env included).
    const c = checkPayload(d, saved);
    expect(c).toEqual({ templates: { 'ubuntu-22.04': '/vms/u22/u22.vmx' }, vmrunPath: null, labsDir: '/home/s/labs' });
    expect(checkPayload(draftFrom(saved), saved)).toEqual({ templates: { 'ubuntu-22.04': '/vms/u22/u22.vmx' } });
    expect(isDirty(d, saved)).toBe(true);
  });

  it('finds template rows that cannot be saved, and ignores a row left empty', () => {
    const rows = [newRow('ubuntu-22.04', '/a.vmx'), newRow('', ''), newRow('', '/b.vmx'), newRow('Ubuntu 22', '/c.vmx'), newRow('ubuntu-22.04', '/d.vmx'), newRow('debian-12', '')];
    expect(rowProblems(rows).map((p) => [rows.findIndex((r) => r.key === p.key), p.problem])).toEqual([
      [2, 'os-missing'],
      [3, 'os-invalid'],
      [4, 'os-duplicate'],
      [5, 'path-missing'],
    ]);
    // An unfinished row is not a change, and is not sent to the check.
    const d = { ...draftFrom(saved), templates: [...draftFrom(saved).templates, newRow('debian-12', '')] };
    expect(isDirty(d, saved)).toBe(false);
    expect(checkPayload(d).templates).toEqual({ 'ubuntu-22.04': '/vms/u22/u22.vmx' });
  });

  it('does not count a re-ordered template list as a change', () => {
    const two: Settings = { ...saved, templates: { 'ubuntu-22.04': '/u.vmx', 'debian-12': '/d.vmx' } };
    const d = draftFrom(two);
    expect(isDirty({ ...d, templates: [...d.templates].reverse() }, two)).toBe(false);
  });

  it('puts each check line and environment override beside its field', () => {
    const check: SettingsCheck = {
      vmrun: { path: '/usr/bin/vmrun', version: '1.17.0', source: 'env' },
      fields: [
        { field: 'vmrunPath', id: 'vmrun', level: 'ok', title: 'vmrun', detail: 'vmrun 1.17.0' },
        { field: 'template:ubuntu-22.04', id: 'template:ubuntu-22.04', level: 'error', title: 'Template ubuntu-22.04', detail: '/x.vmx does not exist', fix: 'Pick the .vmx of a powered-off VM.' },
      ],
      overrides: ['HALAB_VMRUN', 'HALAB_TEMPLATE_UBUNTU_22_04=/y.vmx'],
    };
    expect(lineFor(check, templateField(' ubuntu-22.04 '))?.level).toBe('error');
    expect(lineFor(check, 'sshUser')).toBeUndefined();
    expect(overrideFor('vmrunPath', check.overrides)).toBe('HALAB_VMRUN');
    expect(overrideFor('labsDir', check.overrides)).toBeUndefined();
    expect(overrideFor('template:ubuntu-22.04', check.overrides)).toBe('HALAB_TEMPLATE_UBUNTU_22_04');
    expect(overrideFor('template:debian-12', check.overrides)).toBeUndefined();
    expect(templateEnvName('rocky-9.3')).toBe('HALAB_TEMPLATE_ROCKY_9_3');
    expect(worst(check.fields)).toBe('error');
    expect(worst([check.fields[0]!])).toBe('ok');
  });

  it('shows a template saved by the one-step task in the rows, keeping a row the user is editing', () => {
    const after: Settings = { ...saved, templates: { 'ubuntu-22.04': '/labs/templates/ubuntu-22.04/ubuntu-22.04.vmx', 'debian-12': '/labs/templates/debian-12/debian-12.vmx' } };
    // Rows as saved: the new path replaces the old one, the new OS joins.
    const untouched = mergeTemplates(draftFrom(saved), saved, after);
    expect(untouched.templates.map(({ os, path }) => [os, path])).toEqual([
      ['ubuntu-22.04', '/labs/templates/ubuntu-22.04/ubuntu-22.04.vmx'],
      ['debian-12', '/labs/templates/debian-12/debian-12.vmx'],
    ]);
    expect(isDirty(untouched, after)).toBe(false);
    // A row being edited stays as typed.
    const editing = { ...draftFrom(saved), templates: [newRow('ubuntu-22.04', '/edited.vmx')] };
    expect(mergeTemplates(editing, saved, after).templates.map(({ os, path }) => [os, path])).toEqual([
      ['ubuntu-22.04', '/edited.vmx'],
      ['debian-12', '/labs/templates/debian-12/debian-12.vmx'],
    ]);
    const same = draftFrom(saved);
    expect(mergeTemplates(same, saved, saved)).toBe(same);
  });

  it('makes "Settings" in backend advice a link, and reads a clash for the dialog', () => {
    expect(splitAtSettings('Install VMware Workstation Pro, or set the vmrun path in Settings or HALAB_VMRUN.')).toEqual(['Install VMware Workstation Pro, or set the vmrun path in ', 'Settings', ' or HALAB_VMRUN.']);
    expect(splitAtSettings('No VMware here.')).toBeUndefined();
    expect(splitAtSettings('SettingsStore failed')).toBeUndefined();
    const clash = { vmnet: 'vmnet8', blueprintSubnet: '192.168.20.0/24', hostSubnet: '172.16.86.0/24', message: 'Other VMs on vmnet8 lose their network.' };
    const lines = [
      { id: 'vmnet8-subnet', level: 'error' as const, title: 'vmnet8: the host has 172.16.86.0/24', detail: 'same as the clash' },
      { id: 'vmnet:vmnet2', level: 'ok' as const, title: 'vmnet2', detail: 'free' },
      { id: 'template:ubuntu-22.04', level: 'error' as const, title: 'Template missing', detail: '/x.vmx', fix: 'Settings' },
    ];
    expect(preflightLines({ provider: 'vmware', clashes: [clash], lines }).map((l) => l.id)).toEqual(['template:ubuntu-22.04']);
    expect(preflightLines({ provider: 'vmware', clashes: [], lines }).map((l) => l.id)).toEqual(['vmnet8-subnet', 'template:ubuntu-22.04']);
    expect(clashParams({ vmnet: 'vmnet8', blueprintSubnet: '192.168.10.0/24', hostSubnet: '172.16.86.0/24', message: '' })).toEqual({ vmnet: 'vmnet8', want: '192.168.10.0/24', have: '172.16.86.0/24' });
  });
});
