// The smallest ustar reader the fake ovftool needs (an OVA is a plain tar).
/** Members of a tar archive, in order: { name, data }. Throws on a damaged header. */
export function readTar(buf) {
  const entries = [];
  for (let off = 0; off + 512 <= buf.length; ) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, len) => header.subarray(start, start + len).toString('latin1').replace(/\0.*$/s, '').trim();
    const sum = header.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    if (parseInt(field(148, 8), 8) !== sum) throw new Error('bad tar header checksum');
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    const size = parseInt(field(124, 12) || '0', 8);
    const type = field(156, 1) || '0';
    const data = buf.subarray(off + 512, off + 512 + size);
    if (type === '0') entries.push({ name, data: Buffer.from(data) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}
