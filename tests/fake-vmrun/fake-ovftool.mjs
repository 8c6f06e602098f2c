#!/usr/bin/env node
// A fake `ovftool` (VMware OVF Tool, which ships with Workstation) for the
// template tests: `ovftool [--options] <source.ova|source.ovf> <target.vmx>`.
// Like the real one it prints "Opening OVA source: …", "Opening VMX target: …",
// "Writing VMX file: …", "Transfer Completed", "Completed successfully" and
// exits 0; failures print "Error: …" and "Completed with errors" and exit 1.
// It reads the OVA (a tar whose FIRST member is the .ovf), checks the manifest
// (.mf, SHA256/SHA1), reads the descriptor's name, CPUs, memory, disks and
// NICs, and writes a .vmx plus "<name>-disk1.vmdk" beside it.
// Knobs (env): FAKE_VMRUN_STATE (required: state folder and call log shared with the fake vmrun),
// FAKE_OVFTOOL_MS (how long the "transfer" takes, default 0).
// Exact error texts of the real tool are approximations where noted.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { logCall, sleep } from './fake-lib.mjs';
import { readTar } from './tar-lite.mjs';

const out = (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
class Fail extends Error {}
const fail = (text) => {
  throw new Fail(text);
};

const KNOWN = new Set(['acceptAllEulas', 'lax', 'overwrite', 'allowExtraConfig', 'noSSLVerify', 'skipManifestCheck', 'name', 'diskMode', 'quiet', 'X:logToConsole', 'allowAllExtraConfig']);

/** One attribute of the first element matching `tag` whose attributes match `where`. */
const attr = (tagText, name) => new RegExp(`(?:^|\\s)(?:ovf:)?${name}="([^"]*)"`).exec(tagText)?.[1];

function parseOvf(xml) {
  if (!/<(?:\w+:)?Envelope[\s>]/.test(xml)) fail('Error: Failed to parse the OVF descriptor: no Envelope element'); // approximation
  const files = new Map();
  for (const m of xml.matchAll(/<(?:ovf:)?File\s[^>]*>/g)) files.set(attr(m[0], 'id'), attr(m[0], 'href'));
  const disks = [];
  for (const m of xml.matchAll(/<(?:ovf:)?Disk\s[^>]*>/g)) {
    const ref = attr(m[0], 'fileRef');
    const href = files.get(ref);
    if (!href) fail(`Error: Line 1: Disk ${attr(m[0], 'diskId')} refers to an unknown file ${ref}`); // approximation
    disks.push({ href, capacity: attr(m[0], 'capacity') });
  }
  const vs = /<(?:ovf:)?VirtualSystem\s[^>]*>/.exec(xml);
  if (!vs) fail('Error: OVF package has no VirtualSystem'); // approximation
  const items = [...xml.matchAll(/<(?:ovf:)?Item[\s>][\s\S]*?<\/(?:ovf:)?Item>/g)].map((m) => m[0]);
  const rasd = (item, key) => new RegExp(`<rasd:${key}>([^<]*)</rasd:${key}>`).exec(item)?.[1];
  const byType = (t) => items.filter((i) => rasd(i, 'ResourceType') === String(t));
  const cpus = Number(rasd(byType(3)[0] ?? '', 'VirtualQuantity') ?? 1);
  const memItem = byType(4)[0] ?? '';
  let memory = Number(rasd(memItem, 'VirtualQuantity') ?? 1024);
  if (/2\^30/.test(rasd(memItem, 'AllocationUnits') ?? '')) memory *= 1024;
  const nics = byType(10).map((i) => (rasd(i, 'ResourceSubType') ?? 'E1000').toLowerCase());
  const osType = /<(?:ovf:)?OperatingSystemSection\s[^>]*?(?:vmw:)?osType="([^"]*)"/.exec(xml)?.[1] ?? 'otherGuest';
  const name = /<(?:ovf:)?Name>([^<]*)<\/(?:ovf:)?Name>/.exec(xml.slice(vs.index))?.[1] ?? attr(vs[0], 'id') ?? 'vm';
  return { name, cpus, memory, nics, osType, disks };
}

function digest(algo, data) {
  return createHash(algo).update(data).digest('hex');
}

function checkManifest(entries, ovfName) {
  const mf = entries.find((e) => e.name.toLowerCase().endsWith('.mf'));
  if (!mf) return;
  for (const line of mf.data.toString('utf8').split(/\r?\n/).filter(Boolean)) {
    const m = /^(SHA256|SHA1|SHA512)\(([^)]+)\)\s*=\s*([0-9a-f]+)$/i.exec(line.trim());
    if (!m) fail(`Error: Invalid manifest line: ${line}`); // approximation
    const member = entries.find((e) => e.name === m[2]);
    if (!member) fail(`Error: File (${m[2]}) could not be found.`);
    if (digest(m[1].toLowerCase(), member.data) !== m[3].toLowerCase()) fail(`Error: The manifest does not validate (${m[2]})`); // approximation
  }
  void ovfName;
  out('The manifest validates');
}

const guestOs = (osType) => ({ ubuntu64Guest: 'ubuntu-64', ubuntuGuest: 'ubuntu', otherLinux64Guest: 'other-linux-64', debian11_64Guest: 'debian11-64' })[osType] ?? 'other';

async function main() {
  const args = process.argv.slice(2);
  logCall('ovftool', args);
  const opts = {};
  const positional = [];
  for (const a of args) {
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split(/=(.*)/s);
      if (k === 'version') {
        out('VMware ovftool 4.6.3 (build-24031167)');
        return 0;
      }
      if (k === 'help' || k === 'h') {
        out('Usage: ovftool [options] <source> [<target>]');
        return 0;
      }
      if (!KNOWN.has(k)) fail(`Error: Unknown option: '${k}'`);
      opts[k] = v ?? true;
    } else positional.push(a);
  }
  if (positional.length === 0) fail('Error: No source specified'); // approximation
  if (positional.length > 2) fail(`Error: Too many arguments: ${positional.slice(2).join(' ')}`); // approximation
  const [source, target] = positional;
  if (!fs.existsSync(source) || !fs.statSync(source).isFile()) fail(`Error: Failed to open file: ${source}`);
  let entries;
  let kind;
  if (/\.ova$/i.test(source)) {
    kind = 'OVA';
    out(`Opening OVA source: ${source}`);
    try {
      entries = readTar(fs.readFileSync(source));
    } catch {
      entries = [];
    }
    if (!entries[0] || !entries[0].name.toLowerCase().endsWith('.ovf')) fail('Error: Did not find an .ovf file at the beginning of the OVA package.');
  } else if (/\.ovf$/i.test(source)) {
    kind = 'OVF';
    out(`Opening OVF source: ${source}`);
    const dir = path.dirname(source);
    entries = [{ name: path.basename(source), data: fs.readFileSync(source) }];
    for (const f of fs.readdirSync(dir)) if (f !== path.basename(source)) entries.push({ name: f, data: fs.readFileSync(path.join(dir, f)) });
  } else {
    fail(`Error: Failed to open source: ${source} (unknown file type)`); // approximation
  }
  const ovf = parseOvf(entries[0].data.toString('utf8'));
  if (!opts.skipManifestCheck) checkManifest(entries, entries[0].name);
  for (const d of ovf.disks) if (!entries.some((e) => e.name === d.href)) fail(`Error: File (${d.href}) could not be found.`);
  if (!target) {
    out(`OVF version:   1.0\nVirtualApp:    false\nName:          ${ovf.name}\n`);
    return 0;
  }
  if (!/\.vmx$/i.test(target)) fail(`Error: Unsupported target: ${target} (this fake only writes .vmx targets)`);
  if (fs.existsSync(target) && !opts.overwrite) fail('Error: Target exists. Use --overwrite to overwrite'); // approximation
  if (!fs.existsSync(path.dirname(target))) fs.mkdirSync(path.dirname(target), { recursive: true });
  out(`Opening VMX target: ${target}`);
  const ms = Number(process.env.FAKE_OVFTOOL_MS || 0);
  if (ms) await sleep(ms);
  const base = path.basename(target, path.extname(target));
  const lines = [
    '.encoding = "UTF-8"',
    'config.version = "8"',
    'virtualHW.version = "10"',
    `displayName = "${opts.name ?? ovf.name}"`,
    `guestOS = "${guestOs(ovf.osType)}"`,
    `numvcpus = "${ovf.cpus}"`,
    `memsize = "${ovf.memory}"`,
    'scsi0.present = "TRUE"',
    'scsi0.virtualDev = "lsilogic"',
  ];
  ovf.disks.forEach((d, i) => {
    const file = `${base}-disk${i + 1}.vmdk`;
    fs.writeFileSync(path.join(path.dirname(target), file), entries.find((e) => e.name === d.href).data);
    lines.push(`scsi0:${i}.present = "TRUE"`, `scsi0:${i}.fileName = "${file}"`);
  });
  ovf.nics.forEach((dev, i) => {
    lines.push(`ethernet${i}.present = "TRUE"`, `ethernet${i}.virtualDev = "${dev === 'vmxnet3' ? 'vmxnet3' : 'e1000'}"`, `ethernet${i}.connectionType = "bridged"`, `ethernet${i}.addressType = "generated"`);
  });
  out(`Writing VMX file: ${target}`);
  fs.writeFileSync(target, `${lines.join('\n')}\n`);
  out('Transfer Completed');
  out('Completed successfully');
  void kind;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    out(e instanceof Fail ? e.message : `Error: ${e?.stack ?? e}`);
    out('Completed with errors');
    process.exit(1);
  },
);
