/**
 * English sentences left in a Korean text: three or more English words in
 * a row (identifiers such as `lb-master-down` or `lb-slave`, code spans,
 * quoted `halab` commands, `objectives.*` keys and data: URIs aside).
 */
export function englishSentences(text: string): string[] {
  const cleaned = text
    .replace(/\(data:image\/[^)]+\)/g, '')
    .replace(/`[^`]*`/g, '')
    .replace(/"halab [^"]*"/g, '')
    .replace(/objectives(\.\w+)?(: [a-z, ]+)?/g, '');
  return [...cleaned.matchAll(/(?<![\w-])[A-Za-z][a-z]{2,}(?: [a-z]{2,}){2,}(?![\w-])/g)].map((m) => m[0]);
}
