/**
 * The lab's topology as one SVG picture, for the report a student hands in
 * and the Design screen's SVG/PNG export. VMs in one row (load balancers,
 * app servers, databases, the rest), each card with its roles, size and
 * addresses; the VMnets as buses below with a line from each NIC; the VIP
 * above its members; load balancing and replication as arrows over the
 * cards. Pure and deterministic (same lab, same bytes); browser-safe.
 */
import type { ResolvedLab, ResolvedNode } from './model';
import type { Role } from './schema';

/** Words drawn in the picture, so a Korean report gets a Korean picture. */
export interface TopologyLabels {
  vip: string;
  priority: string;
  loadBalancing: string;
  replication: string;
  primary: string;
  replica: string;
  host: string;
  roles: Record<Role, string>;
  networkTypes: Record<'nat' | 'hostonly' | 'bridged' | 'custom', string>;
  /** e.g. "{vcpus} vCPU · {mem} GiB" */
  size: string;
}

export const TOPOLOGY_LABELS_EN: TopologyLabels = {
  vip: 'VIP',
  priority: 'priority',
  loadBalancing: 'load balancing',
  replication: 'replication',
  primary: 'primary',
  replica: 'replica',
  host: 'host',
  roles: { loadbalancer: 'load balancer', app: 'app', database: 'database', monitoring: 'monitoring', bastion: 'bastion', nfs: 'NFS', generic: 'generic', 'k8s-control': 'k8s control plane', 'k8s-worker': 'k8s worker', cache: 'cache', firewall: 'firewall' },
  networkTypes: { nat: 'NAT', hostonly: 'host-only', bridged: 'bridged', custom: 'custom' },
  size: '{vcpus} vCPU · {mem} GiB',
};

export const TOPOLOGY_LABELS_KO: TopologyLabels = {
  vip: 'VIP',
  priority: '우선순위',
  loadBalancing: '부하 분산',
  replication: '복제',
  primary: '주 서버',
  replica: '복제 서버',
  host: '호스트',
  roles: { loadbalancer: '로드밸런서', app: '앱 서버', database: '데이터베이스', monitoring: '모니터링', bastion: '배스천', nfs: 'NFS', generic: '일반', 'k8s-control': 'k8s 컨트롤 플레인', 'k8s-worker': 'k8s 워커', cache: '캐시', firewall: '방화벽' },
  networkTypes: { nat: 'NAT', hostonly: '호스트 전용', bridged: '브리지', custom: '사용자 지정' },
  size: 'vCPU {vcpus} · {mem} GiB',
};

/** Fonts that draw Korean on Windows, macOS and Linux (fonts-nanum). */
export const TOPOLOGY_FONTS = "'Noto Sans KR','NanumGothic','Nanum Gothic','Malgun Gothic','Apple SD Gothic Neo','Noto Sans CJK KR',sans-serif";

const NET_COLORS = ['#2f6fb3', '#8a4fbf', '#1f8a70', '#c0662b', '#b03a64', '#5a6b7b'];
const C = { card: '#ffffff', cardStroke: '#9aa7b4', text: '#1d2530', muted: '#5b6673', vip: '#d08a00', lb: '#3b7dd8', repl: '#c0392b', bg: '#ffffff' };

const esc = (t: string) => t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const n = (v: number) => (Math.round(v * 10) / 10).toString();
const clip = (t: string, max: number) => (t.length > max ? `${t.slice(0, max - 1)}…` : t);
/** Rough width in px of text at 12 px: Hangul and other wide letters count double. */
const textWidth = (t: string) => [...t].reduce((w, ch) => w + ((ch.codePointAt(0) ?? 0) >= 0x1100 ? 12 : 7), 0);

/** Left to right: load balancers and bastions, app servers, databases, the rest. */
function tier(node: ResolvedNode): number {
  const r = new Set(node.roles);
  if (r.has('loadbalancer') || r.has('bastion')) return 0;
  if (r.has('app') || r.has('k8s-control') || r.has('k8s-worker')) return 1;
  if (r.has('database') || r.has('cache')) return 2;
  return 3;
}

const CARD_W = 184;
const GAP = 28;
const MARGIN = 20;
const GUTTER = 190;
const LINE = 16;

export interface TopologySvgOptions {
  labels?: TopologyLabels;
  /** Draw the lab title above the picture (default true). */
  title?: boolean;
}

/** The topology picture of a resolved lab as a standalone SVG document. */
export function toTopologySvg(r: ResolvedLab, opts: TopologySvgOptions = {}): string {
  const L = opts.labels ?? TOPOLOGY_LABELS_EN;
  const s = r.lab.services;
  const nodes = r.nodes.map((node, i) => ({ node, i })).sort((a, b) => tier(a.node) - tier(b.node) || a.i - b.i).map((x) => x.node);
  const netIndex = new Map(r.networks.map((net, i) => [net.name, i]));
  const color = (net: string) => NET_COLORS[(netIndex.get(net) ?? 0) % NET_COLORS.length] as string;
  const replicaSet = new Set(r.replicas.map((x) => x.node));

  const upstream: [string, string][] = s.loadBalancer ? s.loadBalancer.members.flatMap((lb) => s.loadBalancer!.upstream.members.map((up) => [lb, up] as [string, string])) : [];
  const replication: [string, string][] = s.database ? r.replicas.map((x) => [s.database!.primary, x.node]) : [];
  const hasArcs = upstream.length + replication.length > 0;
  const hasVips = s.vips.length > 0;

  const maxNics = Math.max(1, ...nodes.map((x) => x.nics.length));
  const cardH = 14 + LINE * (3 + maxNics);
  const titleH = opts.title === false ? 0 : 40;
  const vipY = titleH + 14;
  const arcBase = vipY + (hasVips ? 44 : 0);
  const cardTop = arcBase + (hasArcs ? 96 : 8);
  const cardBottom = cardTop + cardH;
  const left = MARGIN + (r.networks.length ? GUTTER : 0);
  const x = new Map(nodes.map((node, i) => [node.hostname, left + i * (CARD_W + GAP)]));
  const rowRight = left + Math.max(1, nodes.length) * (CARD_W + GAP) - GAP;
  const busY = (i: number) => cardBottom + 44 + i * 46;
  const busEnd = busY(Math.max(0, r.networks.length - 1));
  const legendY = (r.networks.length ? busEnd : cardBottom) + 40;
  const legendItems: { color: string; dash?: string; text: string }[] = [];
  if (hasVips) legendItems.push({ color: C.vip, dash: '5 4', text: `${L.vip} (keepalived, ${L.priority})` });
  if (upstream.length) legendItems.push({ color: C.lb, text: `${L.loadBalancing}${s.loadBalancer?.upstream.port ?? s.app?.port ? ` → :${s.loadBalancer?.upstream.port ?? s.app?.port}` : ''}` });
  if (replication.length) legendItems.push({ color: C.repl, text: L.replication });
  const width = Math.max(rowRight + MARGIN, 480);
  const height = legendY + (legendItems.length ? 24 : 0);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${TOPOLOGY_FONTS.replace(/"/g, '&quot;')}" font-size="12" role="img" aria-label="${esc(`${r.lab.metadata.title ?? r.name}`)}">`);
  out.push(`<defs><marker id="arrow-lb" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${C.lb}"/></marker><marker id="arrow-repl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${C.repl}"/></marker></defs>`);
  out.push(`<rect width="${width}" height="${height}" fill="${C.bg}"/>`);
  if (opts.title !== false) {
    out.push(`<text x="${MARGIN}" y="28" font-size="17" font-weight="700" fill="${C.text}">${esc(clip(r.lab.metadata.title ?? r.name, 90))}</text>`);
  }

  // Networks: buses below the cards, named in the left gutter.
  r.networks.forEach((net, i) => {
    const y = busY(i);
    const col = color(net.name);
    out.push(`<g data-network="${esc(net.name)}"><line x1="${MARGIN}" x2="${rowRight}" y1="${y}" y2="${y}" stroke="${col}" stroke-width="4" stroke-linecap="round"/>`);
    out.push(`<text x="${MARGIN}" y="${y - 18}" font-weight="700" fill="${col}">${esc(clip(`${net.name} · ${L.networkTypes[net.type]}`, 28))}</text>`);
    out.push(`<text x="${MARGIN}" y="${y - 6}" font-size="11" fill="${C.muted}">${esc(`${net.subnet} · ${L.host} ${net.hostAddress}`)}</text></g>`);
  });

  // NIC drops: from each card's bottom to its network's bus.
  for (const node of nodes) {
    const x0 = x.get(node.hostname) as number;
    node.nics.forEach((nic, j) => {
      const i = netIndex.get(nic.network);
      if (i === undefined) return;
      const dx = x0 + (CARD_W * (j + 1)) / (node.nics.length + 1);
      const col = color(nic.network);
      out.push(`<line x1="${n(dx)}" x2="${n(dx)}" y1="${cardBottom}" y2="${busY(i)}" stroke="${col}" stroke-width="2"/><circle cx="${n(dx)}" cy="${busY(i)}" r="4" fill="${col}"/>`);
    });
  }

  // Load balancing and replication: arrows over the cards.
  // Each arrow leaves and lands at its own point on the card (k-th target, k-th source).
  const arc = (from: string, to: string, stroke: string, marker: string, label?: string, k = [0, 0]) => {
    const a = x.get(from);
    const b = x.get(to);
    if (a === undefined || b === undefined) return;
    const [ks = 0, kt = 0] = k;
    const x1 = a + CARD_W * (b >= a ? 0.64 + 0.1 * ks : 0.36 - 0.1 * ks);
    const x2 = b + CARD_W * (b >= a ? 0.3 - 0.08 * kt : 0.7 + 0.08 * kt);
    const h = Math.min(84, 24 + Math.abs(x2 - x1) * 0.12);
    const y = cardTop;
    out.push(`<path d="M${n(x1)} ${y}C${n(x1)} ${n(y - h)} ${n(x2)} ${n(y - h)} ${n(x2)} ${y}" fill="none" stroke="${stroke}" stroke-width="2" marker-end="url(#${marker})"/>`);
    if (label) out.push(`<text x="${n((x1 + x2) / 2)}" y="${n(y - h * 0.75 - 5)}" text-anchor="middle" font-size="11" fill="${stroke}">${esc(label)}</text>`);
  };
  const ups = s.loadBalancer?.upstream.members ?? [];
  const lbs = s.loadBalancer?.members ?? [];
  for (const [lb, up] of upstream) arc(lb, up, C.lb, 'arrow-lb', undefined, [Math.min(2, ups.indexOf(up)), Math.min(2, lbs.indexOf(lb))]);
  for (const [p, rep] of replication) arc(p, rep, C.repl, 'arrow-repl', L.replication);

  // VIPs: a pill above their members, dashed lines with each member's priority.
  let nextFree = left;
  for (const vip of s.vips) {
    const xs = vip.members.map((m) => x.get(m.node)).filter((v): v is number => v !== undefined).map((v) => v + CARD_W / 2);
    const text = `${L.vip} ${vip.address} · ${vip.name}`;
    const w = Math.max(150, textWidth(text) + 24);
    const cx = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : left + w / 2;
    const px = Math.max(nextFree, cx - w / 2);
    nextFree = px + w + 12;
    const col = color(vip.network);
    out.push(`<g data-vip="${esc(vip.name)}">`);
    for (const m of vip.members) {
      const mx = x.get(m.node);
      if (mx === undefined) continue;
      const tx = mx + CARD_W / 2;
      out.push(`<line x1="${n(px + w / 2)}" y1="${vipY + 26}" x2="${n(tx)}" y2="${cardTop}" stroke="${C.vip}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
      out.push(`<text x="${n(tx - 4)}" y="${cardTop - 6}" text-anchor="end" font-size="11" fill="${C.vip}">${esc(`${L.priority} ${m.priority}`)}</text>`);
    }
    out.push(`<rect x="${n(px)}" y="${vipY}" width="${n(w)}" height="26" rx="13" fill="#fff4d6" stroke="${C.vip}" stroke-width="2"/><text x="${n(px + w / 2)}" y="${vipY + 17}" text-anchor="middle" font-weight="700" fill="${C.text}">${esc(text)}</text>`);
    out.push(`<circle cx="${n(px + 14)}" cy="${vipY + 13}" r="4" fill="${col}"/></g>`);
  }

  // VM cards.
  for (const node of nodes) {
    const x0 = x.get(node.hostname) as number;
    const roleWords = node.roles.map((role) => L.roles[role] ?? role);
    if (s.database?.primary === node.hostname) roleWords.push(L.primary);
    else if (replicaSet.has(node.hostname)) roleWords.push(L.replica);
    out.push(`<g data-vm="${esc(node.hostname)}"><rect x="${x0}" y="${cardTop}" width="${CARD_W}" height="${cardH}" rx="8" fill="${C.card}" stroke="${C.cardStroke}" stroke-width="1.5"/>`);
    out.push(`<text x="${x0 + 10}" y="${cardTop + 20}" font-size="14" font-weight="700" fill="${C.text}">${esc(clip(node.hostname, 22))}</text>`);
    out.push(`<text x="${x0 + 10}" y="${cardTop + 20 + LINE}" font-size="11" fill="${C.muted}">${esc(clip(roleWords.join(', '), 30))}</text>`);
    const size = L.size.replace('{vcpus}', String(node.vcpus)).replace('{mem}', n(node.memoryMiB / 1024));
    out.push(`<text x="${x0 + 10}" y="${cardTop + 20 + LINE * 2}" font-size="11" fill="${C.muted}">${esc(size)}</text>`);
    node.nics.forEach((nic, j) => {
      const y = cardTop + 20 + LINE * (3 + j);
      out.push(`<circle cx="${x0 + 14}" cy="${y - 4}" r="4" fill="${color(nic.network)}"/><text x="${x0 + 24}" y="${y}" font-size="12" fill="${C.text}" font-family="ui-monospace,'DejaVu Sans Mono',monospace">${esc(nic.address)}</text><text x="${x0 + CARD_W - 8}" y="${y}" text-anchor="end" font-size="11" fill="${color(nic.network)}">${esc(clip(nic.network, 12))}</text>`);
    });
    out.push('</g>');
  }

  // Legend.
  let lx = MARGIN;
  for (const item of legendItems) {
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${item.color}" stroke-width="2"${item.dash ? ` stroke-dasharray="${item.dash}"` : ''}/><text x="${lx + 34}" y="${legendY}" font-size="11" fill="${C.text}">${esc(item.text)}</text>`);
    lx += 34 + textWidth(item.text) + 28;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Width and height of a picture made by `toTopologySvg`. */
export function svgSize(svg: string): { width: number; height: number } | undefined {
  const m = /<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}
