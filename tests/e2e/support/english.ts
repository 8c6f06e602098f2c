/**
 * "No English sentence in Korean mode": what the page shows (the body's
 * `innerText`, which includes open overlays, dialogs, menus and toasts; the
 * texts of every `<option>`; every `title`, `aria-label`, `placeholder` and
 * `alt`) is split into words, and a run of two or more consecutive English
 * words of three or more letters is a sentence unless every word of it is
 * on the allowlist below (product and technical names a Korean student
 * reads as such) or is a word of the blueprint's own values (hostnames,
 * schema and account names, file names).
 *
 * Left out of the scan, because the student wrote them, not the UI: the
 * YAML editor's text (`[data-testid="yaml-text"]`) and input/textarea values.
 */
import type { Page } from 'playwright-core';

/**
 * Product and technical names, kept in English in the Korean UI on purpose.
 * Compared case-insensitively, word by word.
 */
export const ALLOWED_WORDS: readonly string[] = [
  // products and programs
  'nginx', 'keepalived', 'mysql', 'mariadb', 'postgresql', 'prometheus', 'alertmanager', 'grafana', 'loki',
  'ufw', 'openssh', 'ssh', 'sshd', 'netplan', 'vmware', 'workstation', 'vmrun', 'ovftool', 'vmnet', 'vnetlib',
  'ubuntu', 'debian', 'linux', 'windows', 'systemd', 'nspawn', 'debootstrap', 'slack', 'chromium', 'halab', 'json', 'yaml', 'html', 'svg', 'png', 'pdf', 'mermaid',
  'ovf', 'ova', 'gtid', 'vmx', 'vmdk',
  // protocols, acronyms and units
  'vip', 'vrrp', 'nat', 'dhcp', 'dns', 'cidr', 'tcp', 'udp', 'http', 'https', 'nic', 'mac', 'cpu', 'vcpu', 'vcpus', 'ram', 'mib', 'gib', 'rpo', 'rto', 'sql', 'api', 'url', 'ipv4',
  'multicast', 'unicast',
];

/** Whole phrases allowed as they are (removed before the words are read). */
// 'React Flow attribution' / 'React Flow': the canvas library's credit link (its words are fixed by the library).
export const ALLOWED_PHRASES: readonly string[] = ['React Flow attribution', 'React Flow', 'HA Lab Studio', 'VMware Workstation Pro', 'VMware Workstation', 'open-vm-tools', 'cloud-init', 'node_exporter', 'mysqld_exporter'];

export interface Finding {
  screen: string;
  sentence: string;
  /** The line (or attribute) it was found in. */
  where: string;
}

/** Everything the user can read on the page now, one entry per line or attribute. */
export async function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const yaml = document.querySelector<HTMLElement>('[data-testid="yaml-text"]');
    // Hide the student's own YAML from innerText while reading the page.
    const prev = yaml?.style.display;
    if (yaml) yaml.style.display = 'none';
    out.push(...document.body.innerText.split('\n'));
    if (yaml) yaml.style.display = prev ?? '';
    for (const o of document.querySelectorAll('option')) out.push(o.textContent ?? '');
    for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
      if (yaml?.contains(el)) continue;
      for (const a of ['title', 'aria-label', 'placeholder', 'alt']) {
        const v = el.getAttribute(a);
        if (v) out.push(`${v}  ⟨${a}⟩`);
      }
    }
    // SVG <title> tooltips (charts, the canvas legend).
    for (const el of document.querySelectorAll('svg title')) out.push(`${el.textContent ?? ''}  ⟨svg-title⟩`);
    return out.map((l) => l.trim()).filter((l) => l.length > 0);
  });
}

/** Words of the names the student gave (lab, hostnames, networks, VIPs, schema, accounts, file name): allowed, they are the student's. */
export function blueprintWords(names: readonly string[]): Set<string> {
  const words = new Set<string>();
  for (const n of names) for (const m of n.matchAll(/[A-Za-z]{3,}/g)) words.add(m[0].toLowerCase());
  return words;
}

/** English sentences in `lines`: runs of 2+ words of 3+ letters not all allowed. */
export function englishSentences(lines: readonly string[], extraAllowed: ReadonlySet<string> = new Set()): { sentence: string; where: string }[] {
  const allowed = new Set([...ALLOWED_WORDS, ...extraAllowed].map((w) => w.toLowerCase()));
  const found: { sentence: string; where: string }[] = [];
  for (const line of lines) {
    let text = line;
    for (const p of ALLOWED_PHRASES) text = text.split(p).join(' ');
    // A halab command line is code, not a sentence ("halab doctor --provider vmware").
    text = text.replace(/\bhalab(?:\s+(?:up|down|status|doctor|template|create|drill|report|plan|validate|graph|serve|watch|export))+\b/g, ' ');
    // Tokens separated by spaces; a token is an English word when it is letters only
    // (with an apostrophe), bracketed or followed by punctuation at most.
    const tokens = text.split(/\s+/);
    let run: string[] = [];
    const flush = () => {
      if (run.length >= 2 && run.some((w) => !allowed.has(w.toLowerCase()))) found.push({ sentence: run.join(' '), where: line });
      run = [];
    };
    for (const tok of tokens) {
      const m = /^[("'“‘[]*([A-Za-z]{3,}(?:['’][A-Za-z]+)?)([)"'”’\].,:;!?…]*)$/.exec(tok);
      if (!m) {
        flush();
        continue;
      }
      run.push(m[1]!);
      // Sentence punctuation inside the run does not end it ("Fix: use …"), but a closing bracket does.
      if (/[)\]]/.test(m[2]!)) flush();
    }
    flush();
  }
  return found;
}

/** Jargon a student should not meet in any language: blueprint paths ("nodes[2].nics[0]"), empty lists ("networks ()"), "(s)" plurals. */
export function jargon(lines: readonly string[]): { sentence: string; where: string }[] {
  const found: { sentence: string; where: string }[] = [];
  for (const line of lines) {
    const m = /\b[A-Za-z]+\[\d+\]|\(\s*\)|\w\(s\)/.exec(line);
    if (m) found.push({ sentence: m[0], where: line });
  }
  return found;
}

/** Scan the page now and return the English sentences (and jargon) found, each tagged with the screen. */
export async function scan(page: Page, screen: string, extraAllowed: ReadonlySet<string>): Promise<Finding[]> {
  const seen = new Set<string>();
  const lines = await visibleTexts(page);
  return [...englishSentences(lines, extraAllowed), ...jargon(lines)]
    .filter((f) => (seen.has(f.where) ? false : (seen.add(f.where), true)))
    .map((f) => ({ screen, ...f }));
}

/** A readable report of findings, one per line, by screen. */
export function report(findings: readonly Finding[]): string {
  return findings.map((f) => `  [${f.screen}] "${f.sentence}"  ←  ${f.where.slice(0, 200)}`).join('\n');
}
