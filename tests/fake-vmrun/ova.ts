/**
 * Test helper: a tiny OVA built on the spot — a POSIX tar whose first member
 * is the .ovf descriptor, then the disk, then (optionally) the manifest —
 * shaped like Ubuntu's cloud image OVA (one VirtualSystem, 2 vCPUs, 2 GiB,
 * one vmxnet3 NIC, one disk). Written here, read by the fake ovftool.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

export interface OvaOptions {
  /** VirtualSystem name (default `ubuntu-jammy-22.04-cloudimg`). */
  name?: string;
  /** Put the disk first (a broken OVA: the .ovf must come first). */
  diskFirst?: boolean;
  /** Add a manifest (default true); `corrupt` makes its disk digest wrong. */
  manifest?: boolean | 'corrupt';
  /** Leave the disk out of the archive while the descriptor names it. */
  omitDisk?: boolean;
}

export const OVA_DISK = 'ubuntu-jammy-22.04-cloudimg.vmdk';

export function ovfDescriptor(name: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:href="${OVA_DISK}" ovf:id="file1"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="10" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network"><Description>The VM Network network</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id="${name}">
    <Info>A virtual machine</Info>
    <Name>${name}</Name>
    <OperatingSystemSection ovf:id="94" vmw:osType="ubuntu64Guest"><Info>The kind of installed guest operating system</Info></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>2 virtual CPU(s)</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>2048MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2048</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI Controller 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Hard Disk 1</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>Network adapter 1</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

/** One ustar member: 512-byte header, data padded to 512. */
function tarMember(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (s: string, off: number, len: number) => h.write(s.slice(0, len), off, len, 'latin1');
  const oct = (n: number, len: number) => `${n.toString(8).padStart(len - 1, '0')}\0`;
  put(name, 0, 100);
  put(oct(0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(data.length, 12), 124, 12);
  put(oct(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\u000000', 257, 8);
  const sum = h.reduce((a, b) => a + b, 0);
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512, 0);
  return Buffer.concat([h, data, pad]);
}

/** Write a small OVA to `file`; returns its size in bytes. */
export async function buildOva(file: string, o: OvaOptions = {}): Promise<number> {
  const name = o.name ?? 'ubuntu-jammy-22.04-cloudimg';
  const ovfName = `${name}.ovf`;
  const ovf = Buffer.from(ovfDescriptor(name));
  // A recognisable "disk": a VMDK descriptor-like header and some bytes.
  const disk = Buffer.concat([Buffer.from('KDMV fake stream-optimized disk\n'), Buffer.alloc(3000, 7)]);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const members: [string, Buffer][] = [];
  if (o.diskFirst) members.push([OVA_DISK, disk], [ovfName, ovf]);
  else {
    members.push([ovfName, ovf]);
    if (!o.omitDisk) members.push([OVA_DISK, disk]);
  }
  if (o.manifest !== false) {
    const diskSum = o.manifest === 'corrupt' ? sha(Buffer.from('something else')) : sha(disk);
    members.push([`${name}.mf`, Buffer.from(`SHA256(${ovfName})= ${sha(ovf)}\nSHA256(${OVA_DISK})= ${diskSum}\n`)]);
  }
  const tar = Buffer.concat([...members.map(([n, d]) => tarMember(n, d)), Buffer.alloc(1024, 0)]);
  await writeFile(file, tar);
  return tar.length;
}
