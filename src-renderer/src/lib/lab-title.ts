/**
 * A shipped lab's title in the UI's language: the seed lab opened in Korean
 * shows "VMware 3계층 HA 실습 (배관 예약 서비스)" in the Plan and the lab
 * screens' headers, not its blueprint's English title. A title the student
 * wrote (anything but a shipped lab's exact English title) is shown as it is.
 */
import { en } from '../i18n/en';
import type { MessageKey } from '../i18n/index';

const SHIPPED = new Map<string, MessageKey>(
  (Object.entries(en) as [MessageKey, string][]).filter(([k]) => k.startsWith('start.lab.')).map(([k, v]) => [v, k]),
);

export function labTitle(t: (key: MessageKey) => string, title: string): string {
  const key = SHIPPED.get(title);
  return key ? t(key) : title;
}
