/**
 * Blueprint YAML as a document: parsing with source positions (so every
 * problem names line:column), and editing that keeps comments and key order
 * (the `yaml` package's document API). Browser-safe.
 */
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Alias, type Node as YamlNode, type Pair } from 'yaml';
import { msg, type Message } from '../i18n';
import { issue, quote, type Issue, type IssuePath } from './issues';
import { yamlReason } from './reasons';
import { LIMITS } from './schema';

export interface ParsedBlueprint {
  doc: Document;
  lineCounter: LineCounter;
  /** Plain JS value of the document (undefined when it does not parse). */
  data: unknown;
  /**
   * Problems found while reading the text, already located: YAML syntax,
   * tags, aliases (unresolved, too many, a bomb), nesting, odd keys, size.
   * When there are any, `data` is undefined and nothing else is checked.
   */
  syntaxIssues: Issue[];
}

const at = (lc: LineCounter, offset: number | undefined, code: string, m: Message, f: Message): Issue => {
  const pos = offset === undefined ? { line: 1, col: 1 } : lc.linePos(offset);
  return { ...issue('error', code, [], m, f), line: pos.line, col: pos.col };
};

/**
 * Read blueprint text with the one YAML parser (the `yaml` package) used by
 * validation, export and the editor. Never throws: every problem comes back
 * as a located issue, and all of them are found before any schema check.
 *
 * Line ends are normalised first (CRLF and a lone CR both end a line, as the
 * YAML spec says), so old Mac files read the same everywhere.
 */
export function parseBlueprintYaml(text: string): ParsedBlueprint {
  const lineCounter = new LineCounter();
  if (text.length > LIMITS.textChars) {
    const issue = at(lineCounter, undefined, 'too-large', msg('v.textTooLarge', { kib: Math.round(text.length / 1024), max: LIMITS.textChars / 1024 }), msg('v.textTooLarge.fix'));
    return { doc: new Document(null), lineCounter, data: undefined, syntaxIssues: [issue] };
  }
  const src = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  let doc: Document;
  try {
    // Duplicate keys are found in checkStructure: the parser's own check compares every key with every other (quadratic).
    doc = parseDocument(src, { lineCounter, uniqueKeys: false, prettyErrors: false, resolveKnownTags: false, logLevel: 'error', strict: true });
  } catch (e) {
    const raw = (e as Error).message;
    const known = yamlReason((e as { code?: string }).code);
    const issue = { ...at(lineCounter, undefined, 'yaml-syntax', msg('v.yamlCannotRead', { detail: known ?? raw }), msg('v.yamlCannotRead.fix')), ...(known ? { raw } : {}) };
    return { doc: new Document(null), lineCounter, data: undefined, syntaxIssues: [issue] };
  }
  // The parser's kind of error in the catalog's words (its own text kept in `raw`); a kind not mapped shows its text.
  const withRaw = (i: Issue, raw: string): Issue => (i.message.endsWith(raw) ? i : { ...i, raw });
  const issues: Issue[] = doc.errors.map((e) => {
    const raw = e.message.split('\n')[0] ?? '';
    return withRaw(at(lineCounter, e.pos[0], 'yaml-syntax', msg('v.yamlSyntax', { detail: yamlReason(e.code) ?? raw }), msg('v.yamlSyntax.fixIndent')), raw);
  });
  for (const w of doc.warnings) {
    const tag = w.code === 'TAG_RESOLVE_FAILED';
    const raw = w.message.split('\n')[0] ?? '';
    issues.push(withRaw(at(lineCounter, w.pos[0], tag ? 'yaml-tag' : 'yaml-syntax', msg(tag ? 'v.yamlTag' : 'v.yamlSyntax', { detail: yamlReason(w.code) ?? raw }), msg(tag ? 'v.yamlTag.fix' : 'v.yamlSyntax.fix')), raw));
  }
  if (!issues.length) issues.push(...checkStructure(doc, lineCounter));
  let data: unknown;
  if (!issues.length) {
    try {
      // checkStructure bounded the expansion, so yaml's own alias counter (which
      // also refuses a file with many harmless aliases) is not needed.
      data = doc.toJS({ maxAliasCount: -1 });
    } catch (e) {
      const raw = (e as Error).message;
      const known = yamlReason((e as { code?: string }).code);
      issues.push({ ...at(lineCounter, doc.contents?.range?.[0], 'yaml-syntax', msg('v.yamlUnreadable', { detail: known ?? raw }), msg('v.yamlUnreadable.fix')), ...(known ? { raw } : {}) });
    }
  }
  return { doc, lineCounter, data, syntaxIssues: issues };
}

/**
 * One pass over the document in order: every alias resolves to an anchor
 * before it (and not to a node it is inside), there are at most
 * LIMITS.aliases of them, the expanded document stays under
 * LIMITS.expandedNodes nodes (so an alias bomb is refused in time linear in
 * the text), nesting stays under LIMITS.depth, and keys are plain scalars.
 */
function checkStructure(doc: Document, lc: LineCounter): Issue[] {
  const issues: Issue[] = [];
  const anchors = new Map<string, YamlNode>();
  const size = new Map<YamlNode, number>();
  const open = new Set<YamlNode>();
  let aliases = 0;
  const fail = (node: { range?: [number, number, number] | null } | undefined, code: string, message: Message, fix: Message): number => {
    issues.push(at(lc, node?.range?.[0], code, message, fix));
    return Infinity;
  };
  // Returns the node's expanded size, or Infinity after reporting a problem (which stops the walk).
  const walk = (node: unknown, depth: number): number => {
    if (node === null || node === undefined) return 1;
    if (isAlias(node)) return alias(node);
    const n = node as YamlNode;
    if (depth > LIMITS.depth) return fail(n, 'yaml-too-deep', msg('v.yamlTooDeep', { max: LIMITS.depth }), msg('v.yamlTooDeep.fix'));
    if (n.anchor) anchors.set(n.anchor, n);
    let sz = 1;
    if (isMap(n) || isSeq(n)) {
      open.add(n);
      // Keys as the JS object will hold them (1 and "1" are one key there).
      const keys = isMap(n) ? new Set<string>() : undefined;
      for (const item of n.items as unknown[]) {
        if (isPair(item)) {
          const p = item as Pair;
          if (p.key !== null && !isScalar(p.key)) return fail(p.key as YamlNode, 'yaml-complex-key', msg('v.yamlComplexKey'), msg('v.yamlComplexKey.fix'));
          const k = isScalar(p.key) && p.key.value !== null && p.key.value !== undefined ? String(p.key.value) : '';
          if (k === '__proto__') return fail(p.key as YamlNode, 'yaml-bad-key', msg('v.yamlProtoKey'), msg('v.yamlProtoKey.fix'));
          if (keys?.has(k)) return fail((p.key as YamlNode | null) ?? n, 'yaml-duplicate-key', msg('v.yamlDuplicateKey', { key: quote(k) }), msg('v.yamlDuplicateKey.fix'));
          keys?.add(k);
          if (isScalar(p.key) && p.key.anchor) anchors.set(p.key.anchor, p.key);
          sz += 1 + walk(p.value, depth + 1);
        } else sz += walk(item, depth + 1);
        if (!Number.isFinite(sz)) return sz;
        if (sz > LIMITS.expandedNodes) return tooBig(isPair(item) ? (((item as Pair).value ?? (item as Pair).key) as YamlNode) : (item as YamlNode));
      }
      open.delete(n);
    }
    size.set(n, sz);
    return sz;
  };
  const alias = (a: Alias): number => {
    aliases++;
    if (aliases > LIMITS.aliases) return fail(a, 'yaml-too-many-aliases', msg('v.yamlTooManyAliases', { max: LIMITS.aliases }), msg('v.yamlTooManyAliases.fix'));
    const target = anchors.get(a.source);
    if (!target) return fail(a, 'yaml-unresolved-alias', msg('v.yamlUnresolvedAlias', { name: quote(a.source).slice(1, -1) }), msg('v.yamlUnresolvedAlias.fix'));
    if (open.has(target)) return fail(a, 'yaml-alias-cycle', msg('v.yamlAliasCycle', { name: quote(a.source).slice(1, -1) }), msg('v.yamlAliasCycle.fix'));
    const sz = size.get(target) ?? 1;
    if (sz > LIMITS.expandedNodes) return fail(a, 'yaml-alias-bomb', msg('v.yamlAliasBomb', { name: quote(a.source).slice(1, -1), max: LIMITS.expandedNodes }), msg('v.yamlAliasBomb.fix'));
    return sz;
  };
  const tooBig = (node: YamlNode | null | undefined): number =>
    aliases > 0
      ? fail(node ?? undefined, 'yaml-alias-bomb', msg('v.yamlExpandedBomb', { max: LIMITS.expandedNodes }), msg('v.yamlAliasBomb.fix'))
      : fail(node ?? undefined, 'too-large', msg('v.tooLarge', { max: LIMITS.expandedNodes }), msg('v.tooLarge.fix'));
  walk(doc.contents, 0);
  return issues;
}

/** Children by key of a mapping, built once per mapping (so locating many issues stays linear). */
const pairIndex = new WeakMap<object, Map<unknown, Pair>>();
function pairOf(map: YamlNode, key: string | number): Pair | undefined {
  if (!isMap(map)) return undefined;
  let idx = pairIndex.get(map);
  if (!idx) {
    idx = new Map();
    for (const p of map.items) {
      const k = isScalar(p.key) ? p.key.value : p.key;
      if (!idx.has(k)) idx.set(k, p as Pair);
      if (typeof k !== 'string' && k !== null && k !== undefined && !idx.has(String(k))) idx.set(String(k), p as Pair);
    }
    pairIndex.set(map, idx);
  }
  return idx.get(key) ?? idx.get(String(key));
}

/** The node at `path`, following aliases; with the chain of nodes visited. */
function nodeAt(doc: Document, path: IssuePath): { nodes: (YamlNode | undefined)[]; keys: (YamlNode | undefined)[] } {
  const nodes: (YamlNode | undefined)[] = [doc.contents as YamlNode | undefined];
  const keys: (YamlNode | undefined)[] = [undefined];
  let cur = doc.contents as YamlNode | undefined;
  for (const seg of path) {
    if (cur && isAlias(cur)) break;
    let next: YamlNode | undefined;
    let key: YamlNode | undefined;
    if (cur && isMap(cur)) {
      const p = pairOf(cur, seg);
      next = p?.value as YamlNode | undefined;
      key = p?.key as YamlNode | undefined;
      if (p && !next) next = key;
    } else if (cur && isSeq(cur) && typeof seg === 'number') next = cur.items[seg] as YamlNode | undefined;
    if (!next) break;
    nodes.push(next);
    keys.push(key);
    cur = next;
  }
  return { nodes, keys };
}

/** Start offset of the node at `path`, or of its closest existing ancestor. */
function offsetOf(doc: Document, path: IssuePath, keyOf?: string): number | undefined {
  const { nodes, keys } = nodeAt(doc, path);
  const reached = nodes.length - 1 === path.length;
  const node = nodes[nodes.length - 1];
  if (reached && keyOf !== undefined && node && isMap(node)) {
    const k = pairOf(node, keyOf)?.key as YamlNode | undefined;
    if (k?.range) return k.range[0];
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    const k = keys[i];
    // Point at a scalar value itself, and at the key of a nested mapping or list.
    if (k?.range && n && (isMap(n) || isSeq(n))) return k.range[0];
    if (n?.range) return n.range[0];
    if (k?.range) return k.range[0];
  }
  return undefined;
}

/** Fill in line and column for issues from the document's source positions (line 1 when nothing better is known). */
export function locateIssues(parsed: ParsedBlueprint, issues: Issue[]): Issue[] {
  for (const issue of issues) {
    if (issue.line !== undefined) continue;
    const off = offsetOf(parsed.doc, issue.path, issue.key);
    const pos = off !== undefined ? parsed.lineCounter.linePos(off) : { line: 1, col: 1 };
    issue.line = pos.line;
    issue.col = pos.col;
  }
  return issues;
}

/** Serialize a document back to text, keeping comments and order. */
export function stringifyBlueprint(doc: Document): string {
  return doc.toString({ flowCollectionPadding: false });
}

/**
 * Replace the document's content with `value`, keeping comments and the
 * order of keys that still exist (the yaml package diffs nothing itself, so
 * we update in place path by path).
 */
export function updateDocument(doc: Document, value: unknown): void {
  mergeInto(doc, [], value);
}

function mergeInto(doc: Document, path: (string | number)[], value: unknown): void {
  const node = (path.length ? doc.getIn(path, true) : doc.contents) as YamlNode | undefined;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && node && isMap(node)) {
    const obj = value as Record<string, unknown>;
    for (const item of [...node.items]) {
      const k = isScalar(item.key) ? item.key.value : item.key;
      if (typeof k === 'string' && !(k in obj)) doc.deleteIn([...path, k]);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      if (doc.hasIn([...path, k])) mergeInto(doc, [...path, k], v);
      else doc.setIn([...path, k], doc.createNode(v));
    }
    return;
  }
  if (Array.isArray(value) && node && isSeq(node)) {
    while (node.items.length > value.length) node.items.pop();
    value.forEach((v, i) => {
      if (i < node.items.length) mergeInto(doc, [...path, i], v);
      else node.items.push(doc.createNode(v));
    });
    return;
  }
  if (node && isScalar(node) && (value === null || typeof value !== 'object')) {
    if (node.value !== value) node.value = value;
    return;
  }
  if (path.length === 0) doc.contents = doc.createNode(value) as typeof doc.contents;
  else doc.setIn(path, doc.createNode(value));
}

/** A new document from a plain value. */
export function newDocument(value: unknown): Document {
  return new Document(value);
}
