/** `blueprint:*` requests: validate, plan, export, graph, shipped labs. */
import { readFile } from 'node:fs/promises';
import { toMermaid } from '../../shared/blueprint/graph';
import { computePlan } from '../../shared/blueprint/plan';
import { parseBlueprintYaml, stringifyBlueprint } from '../../shared/blueprint/yaml-doc';
import { hostMemoryMiB, listShipped, validateHere } from '../blueprint-files';
import { BackendError, type HandlerMap } from '../handler-types';

export const blueprintHandlers: Pick<HandlerMap, 'blueprint:validate' | 'blueprint:plan' | 'blueprint:export' | 'blueprint:graph' | 'blueprint:list-shipped' | 'blueprint:read-shipped'> = {
  'blueprint:validate': async ({ text }) => {
    const r = validateHere(text);
    return {
      ok: r.ok,
      issues: r.issues,
      summary: r.lab ? { vms: r.lab.nodes.length, networks: r.lab.networks.length, vips: r.lab.services.vips.map((v) => v.address) } : undefined,
    };
  },
  'blueprint:plan': async ({ text }) => {
    const r = validateHere(text);
    return { ok: r.ok, issues: r.issues, plan: r.resolved ? computePlan(r.resolved, hostMemoryMiB()) : undefined };
  },
  'blueprint:export': async ({ text, format }) => {
    const parsed = parseBlueprintYaml(text);
    if (parsed.syntaxIssues.length) throw new BackendError('The blueprint has YAML syntax errors; fix them before exporting.', 'invalid-blueprint');
    return { text: format === 'yaml' ? stringifyBlueprint(parsed.doc) : `${JSON.stringify(parsed.data, null, 2)}\n` };
  },
  'blueprint:graph': async ({ text }) => {
    const r = validateHere(text);
    if (!r.resolved) throw new BackendError('The blueprint has errors; validate it first.', 'invalid-blueprint');
    return { mermaid: toMermaid(r.resolved) };
  },
  'blueprint:list-shipped': async () => (await listShipped()).map(({ id, title }) => ({ id, title, file: `${id}.yaml` })),
  'blueprint:read-shipped': async ({ id }) => {
    const found = (await listShipped()).find((b) => b.id === id);
    if (!found) throw new BackendError(`There is no shipped blueprint "${id}".`, 'not-found');
    return { id, text: await readFile(found.file, 'utf8') };
  },
};
