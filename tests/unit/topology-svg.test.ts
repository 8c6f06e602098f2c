/**
 * The topology picture: golden SVG for the three shipped labs (English and
 * Korean words), deterministic, and a real PNG from headless Chromium,
 * decoded here (IHDR, zlib, PNG filters) to check its size and that it is
 * not blank. `UPDATE_GOLDEN=1 npx vitest run tests/unit/topology-svg` rewrites the goldens.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { toTopologySvg, svgSize, TOPOLOGY_LABELS_EN, TOPOLOGY_LABELS_KO } from '../../src-main/shared/blueprint/topology-svg';
import { ChromiumMissingError, findChromium, svgToPng } from '../../src-main/report/chromium';
import { BLUEPRINTS, loadLab, REPO } from '../golden/configs/support/render';

const GOLDEN = join(REPO, 'tests', 'golden', 'topology');
const update = process.env.UPDATE_GOLDEN === '1';

/** A tiny PNG reader: size and RGBA-ish pixel rows (8-bit RGB/RGBA only). */
function readPng(buf: Buffer): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG signature').toBe(true);
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8], 'bit depth').toBe(8);
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9] as number] ?? 0;
      expect(channels, 'colour type RGB or RGBA').toBeGreaterThan(0);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows: Buffer[] = [];
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)] as number;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (line[i - channels] as number) : 0;
      const b = prev[i] as number;
      const c = i >= channels ? (prev[i - channels] as number) : 0;
      const p = a + b - c;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      line[i] = ((line[i] as number) + pred) & 0xff;
    }
    rows.push(line);
    prev = line;
  }
  return { width, height, pixel: (x, y) => [...(rows[y] as Buffer).subarray(x * channels, x * channels + channels)] };
}

describe.each(BLUEPRINTS)('topology picture of %s', (blueprint) => {
  const lab = loadLab(blueprint);
  it.each([['en', TOPOLOGY_LABELS_EN], ['ko', TOPOLOGY_LABELS_KO]] as const)('matches the golden SVG (%s)', (lang, labels) => {
    const svg = toTopologySvg(lab, { labels });
    const file = join(GOLDEN, `${blueprint}.${lang}.svg`);
    if (update) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, svg);
    }
    expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 to create it`).toBe(true);
    expect(svg).toBe(readFileSync(file, 'utf8'));
    expect(toTopologySvg(loadLab(blueprint), { labels })).toBe(svg);
  });

  it('shows every VM with its addresses, every VMnet, the VIP and replication', () => {
    const svg = toTopologySvg(lab);
    for (const node of lab.nodes) {
      expect(svg).toContain(`data-vm="${node.hostname}"`);
      for (const nic of node.nics) expect(svg).toContain(`>${nic.address}<`);
    }
    for (const net of lab.networks) expect(svg).toContain(`data-network="${net.name}"`);
    for (const vip of lab.lab.services.vips) expect(svg).toContain(`VIP ${vip.address}`);
    expect((svg.match(/marker-end="url\(#arrow-repl\)"/g) ?? []).length).toBe(lab.replicas.length);
    const lb = lab.lab.services.loadBalancer;
    expect((svg.match(/marker-end="url\(#arrow-lb\)"/g) ?? []).length).toBe(lb ? lb.members.length * lb.upstream.members.length : 0);
    // Well-formed enough for a browser: one root, balanced groups, Korean-capable fonts.
    expect(svg.match(/<svg /g)).toHaveLength(1);
    expect((svg.match(/<g /g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
    expect(svg).toContain('NanumGothic');
  });
});

describe('topology PNG through headless Chromium', () => {
  it('is a valid PNG at twice the SVG size, white background, with drawn pixels', async () => {
    expect(findChromium(), 'headless Chromium is needed for PNG (install chromium)').toBeDefined();
    const svg = toTopologySvg(loadLab('vmware-3tier-ha'), { labels: TOPOLOGY_LABELS_KO });
    const size = svgSize(svg)!;
    const png = await svgToPng(svg, { scale: 2 });
    const img = readPng(png);
    expect(img).toMatchObject({ width: size.width * 2, height: size.height * 2 });
    expect(png.length).toBeGreaterThan(20_000);
    expect(img.pixel(2, 2).slice(0, 3)).toEqual([255, 255, 255]);
    // Count non-white pixels on a coarse grid: the cards, buses and text are drawn.
    let ink = 0;
    let total = 0;
    for (let y = 0; y < img.height; y += 4) for (let x = 0; x < img.width; x += 4) {
      total++;
      const [r, g, b] = img.pixel(x, y) as [number, number, number];
      if (r + g + b < 600) ink++;
    }
    expect(ink / total).toBeGreaterThan(0.01);
    expect(ink / total).toBeLessThan(0.5);
    // The first network's bus (a thick blue line) crosses the picture at its y.
    const bus = /<line x1="20" x2="\d+" y1="(\d+)"[^>]*stroke="#2f6fb3" stroke-width="4"/.exec(svg);
    expect(bus).not.toBeNull();
    expect(img.pixel(img.width / 2, Number(bus![1]) * 2).slice(0, 3)).toEqual([0x2f, 0x6f, 0xb3]);
  }, 90_000);

  it('says clearly where no Chromium is found', async () => {
    expect(findChromium({ HALAB_CHROMIUM: '/nonexistent/chrome' })).toBeUndefined();
    const before = process.env.HALAB_CHROMIUM;
    process.env.HALAB_CHROMIUM = '/nonexistent/chrome';
    try {
      const e = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ChromiumMissingError);
      expect((e as Error).message).toMatch(/No headless Chromium was found, so a PNG cannot be made on this computer\. Install Chromium .*HALAB_CHROMIUM/);
    } finally {
      if (before === undefined) delete process.env.HALAB_CHROMIUM;
      else process.env.HALAB_CHROMIUM = before;
    }
  });
});

describe('blueprint:graph through the backend', () => {
  it('answers the SVG with format svg (Korean words with lang ko), only Mermaid otherwise, and refuses unknown formats', async () => {
    const { createBackend } = await import('../../src-main/backend/backend');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const backend = createBackend({ mode: 'web', version: 't', dataDir: mkdtempSync(join(tmpdir(), 'halab-graph-')) });
    const text = readFileSync(join(REPO, 'lab-blueprints', 'vmware-3tier-ha.yaml'), 'utf8');
    const svg = await backend.invoke('blueprint:graph', { text, format: 'svg', lang: 'ko' });
    expect(svg.ok).toBe(true);
    const value = (svg as { ok: true; data: { mermaid: string; svg?: string } }).data;
    expect(value.svg).toBe(readFileSync(join(GOLDEN, 'vmware-3tier-ha.ko.svg'), 'utf8'));
    expect(value.mermaid).toMatch(/^flowchart LR/);
    const plain = await backend.invoke('blueprint:graph', { text });
    expect((plain as { ok: true; data: { svg?: string } }).data.svg).toBeUndefined();
    const bad = await backend.invoke('blueprint:graph', { text, format: 'png' });
    expect(bad.ok).toBe(false);
  });
});
