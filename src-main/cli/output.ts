/** Small helpers for CLI output: tables, colours only on a TTY. */

const useColor = (stream: NodeJS.WriteStream) => stream.isTTY && !process.env.NO_COLOR;

export const style = {
  red: (s: string, stream: NodeJS.WriteStream = process.stderr) => (useColor(stream) ? `\x1b[31m${s}\x1b[0m` : s),
  yellow: (s: string, stream: NodeJS.WriteStream = process.stderr) => (useColor(stream) ? `\x1b[33m${s}\x1b[0m` : s),
  green: (s: string, stream: NodeJS.WriteStream = process.stdout) => (useColor(stream) ? `\x1b[32m${s}\x1b[0m` : s),
  bold: (s: string, stream: NodeJS.WriteStream = process.stdout) => (useColor(stream) ? `\x1b[1m${s}\x1b[0m` : s),
};

/** Columns a text takes in a terminal: Hangul (and other wide East Asian letters) take two. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

/** A plain text table with a header row (aligned for Korean headings too). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const pad = (c: string, w: number) => c + ' '.repeat(Math.max(0, w - displayWidth(c)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** An error the user caused with the command line: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = { ok: 0, invalid: 1, usage: 2, failed: 3 } as const;
