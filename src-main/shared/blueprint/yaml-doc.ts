/**
 * Blueprint YAML as a document: parsing with source positions (so every
 * problem names line:column), and editing that keeps comments and key order
 * (the `yaml` package's document API). Browser-safe.
 */
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Issue, IssuePath } from './issues';

export interface ParsedBlueprint {
  doc: Document;
  lineCounter: LineCounter;
  /** Plain JS value of the document (undefined when it does not parse). */
  data: unknown;
  /** YAML syntax errors, already located. */
  syntaxIssues: Issue[];
}

export function parseBlueprintYaml(text: string): ParsedBlueprint {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false, prettyErrors: false, uniqueKeys: true });
  const syntaxIssues: Issue[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return {
      severity: 'error',
      code: 'yaml-syntax',
      path: [],
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
      fix: 'Check the indentation and quoting on that line.',
      line: pos.line,
      col: pos.col,
    };
  });
  const data = syntaxIssues.length ? undefined : doc.toJS({ maxAliasCount: 100 });
  return { doc, lineCounter, data, syntaxIssues };
}

/** Start offset of the node at `path`, or of its closest existing ancestor. */
function offsetOf(doc: Document, path: IssuePath, keyOf?: string): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = (sub.length ? doc.getIn(sub, true) : doc.contents) as YamlNode | undefined;
    if (!node || typeof node !== 'object') continue;
    if (n === path.length && keyOf !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === keyOf);
      const k = pair?.key as YamlNode | undefined;
      if (k?.range) return k.range[0];
    }
    // Point at the key of a map entry rather than its value where we can.
    if (n > 0) {
      const parent = (n > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents) as YamlNode | undefined;
      const last = sub[sub.length - 1];
      if (parent && isMap(parent) && typeof last === 'string') {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
        const k = pair?.key as YamlNode | undefined;
        if (k?.range && !(isMap(node) || isSeq(node))) return (node.range ?? k.range)[0];
        if (k?.range) return k.range[0];
      }
    }
    if (node.range) return node.range[0];
  }
  return undefined;
}

/** Fill in line and column for issues from the document's source positions. */
export function locateIssues(parsed: ParsedBlueprint, issues: Issue[]): Issue[] {
  for (const issue of issues) {
    if (issue.line !== undefined) continue;
    const off = offsetOf(parsed.doc, issue.path, issue.key);
    if (off !== undefined) {
      const pos = parsed.lineCounter.linePos(off);
      issue.line = pos.line;
      issue.col = pos.col;
    }
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
