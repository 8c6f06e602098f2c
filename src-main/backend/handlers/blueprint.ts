/** `blueprint:*` requests: validate, plan, export, graph, shipped labs. */
import { readFile } from 'node:fs/promises';
import { exportBlueprintText } from '../../shared/blueprint/export';
import { toMermaid } from '../../shared/blueprint/graph';
import { toTopologySvg, TOPOLOGY_LABELS_EN, TOPOLOGY_LABELS_KO } from '../../shared/blueprint/topology-svg';
import { formatIssue } from '../../shared/blueprint/issues';
import { computePlan } from '../../shared/blueprint/plan';
import { hostMemoryMiB, listShipped, validateHere } from '../blueprint-files';
import { BackendError, type HandlerMap } from '../handler-types';
import { msg } from '../../shared/i18n';

export const blueprintHandlers: Pick<HandlerMap, 'blueprint:validate' | 'blueprint:plan' | 'blueprint:export' | 'blueprint:graph' | 'blueprint:list-shipped' | 'blueprint:read-shipped'> = {
  'blueprint:validate': async ({ text, provider }) => {
    const r = validateHere(text, provider);
    return {
      ok: r.ok,
      issues: r.issues,
      summary: r.lab ? { vms: r.lab.nodes.length, networks: r.lab.networks.length, vips: r.lab.services.vips.map((v) => v.address) } : undefined,
    };
  },
  'blueprint:plan': async ({ text, provider }) => {
    const r = validateHere(text, provider);
    return { ok: r.ok, issues: r.issues, plan: r.resolved ? computePlan(r.resolved, hostMemoryMiB()) : undefined };
  },
  'blueprint:export': async ({ text, format }) => {
    // Only a blueprint without errors is exported, read by the same parser as validation.
    const r = exportBlueprintText(text, format, { hostMemoryMiB: hostMemoryMiB() });
    if (!r.ok) {
      const errors = r.validation.issues.filter((i) => i.severity === 'error');
      const first = errors[0]!;
      const text = first.msg ?? first.message;
      const where = first.line !== undefined ? msg('be.issueAt', { line: first.line, col: first.col ?? 1, text }) : text;
      throw new BackendError(msg('be.exportErrors', { count: errors.length, first: first.msg ? where : formatIssue(first) }), 'invalid-blueprint');
    }
    return { text: r.text };
  },
  'blueprint:graph': async ({ text, format, lang }) => {
    const r = validateHere(text);
    if (!r.resolved) throw new BackendError(msg('be.validateFirst'), 'invalid-blueprint');
    const mermaid = toMermaid(r.resolved);
    return format === 'svg' ? { mermaid, svg: toTopologySvg(r.resolved, { labels: lang === 'ko' ? TOPOLOGY_LABELS_KO : TOPOLOGY_LABELS_EN }) } : { mermaid };
  },
  'blueprint:list-shipped': async () => (await listShipped()).map(({ id, title }) => ({ id, title, file: `${id}.yaml` })),
  'blueprint:read-shipped': async ({ id }) => {
    const found = (await listShipped()).find((b) => b.id === id);
    if (!found) throw new BackendError(msg('be.noShipped', { id }), 'not-found');
    return { id, text: await readFile(found.file, 'utf8') };
  },
};
