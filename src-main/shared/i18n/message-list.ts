/**
 * Lists of catalog messages as one message (rendered item by item in the
 * reader's language): `joinMessages([a, b, c], 'semicolon')` renders
 * "a; b; c", `'bullets'` renders "a\n- b\n- c", `'lines'` one per line. Browser-safe.
 */
import { msg, type Message } from './index';

export function joinMessages(items: readonly (Message | string)[], how: 'semicolon' | 'bullets' | 'comma' | 'lines'): Message | string {
  const code = how === 'semicolon' ? 'prov.join.semicolon' : how === 'bullets' ? 'prov.join.bullets' : how === 'lines' ? 'prov.join.lines' : 'prov.join.comma';
  if (items.length === 0) return '';
  return items.slice(1).reduce<Message | string>((a, b) => msg(code, { a, b }), items[0] as Message | string);
}
