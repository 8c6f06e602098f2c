/** Remembers the window's size and position between runs (plain JSON in userData). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WindowState {
  width: number;
  height: number;
  x?: number;
  y?: number;
  maximized?: boolean;
}

const DEFAULT: WindowState = { width: 1400, height: 900 };

export function loadWindowState(dir: string): WindowState {
  try {
    const s = JSON.parse(readFileSync(join(dir, 'window-state.json'), 'utf8')) as WindowState;
    if (s.width >= 640 && s.height >= 480) return s;
  } catch {
    // First run or unreadable: use the default size.
  }
  return DEFAULT;
}

export function saveWindowState(dir: string, s: WindowState): void {
  try {
    writeFileSync(join(dir, 'window-state.json'), JSON.stringify(s));
  } catch {
    // Losing the window position is not worth an error dialog.
  }
}
