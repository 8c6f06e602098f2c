/**
 * Reasons from third-party libraries as catalog messages (issue 12): the
 * YAML parser's error codes and zod's issue kinds are mapped to catalog
 * codes, so a student reads them in their language. The library's own
 * English words stay in the issue's `raw` (for `--json` and logs).
 *
 * Browser-safe.
 */
import { msg, type Message } from '../i18n';

/** The `yaml` package's error codes (its `ErrorCode`) → what they mean. IMPOSSIBLE and unknown codes have none. */
const YAML_REASONS: Record<string, () => Message> = {
  BAD_INDENT: () => msg('reason.yaml.badIndent'),
  TAB_AS_INDENT: () => msg('reason.yaml.tab'),
  MISSING_CHAR: () => msg('reason.yaml.missingChar'),
  UNEXPECTED_TOKEN: () => msg('reason.yaml.unexpected'),
  BLOCK_AS_IMPLICIT_KEY: () => msg('reason.yaml.implicitKey'),
  MULTILINE_IMPLICIT_KEY: () => msg('reason.yaml.implicitKey'),
  DUPLICATE_KEY: () => msg('reason.yaml.duplicateKey'),
  BAD_DQ_ESCAPE: () => msg('reason.yaml.escape'),
  BAD_SCALAR_START: () => msg('reason.yaml.scalarStart'),
  MULTIPLE_DOCS: () => msg('reason.yaml.multipleDocs'),
  BAD_ALIAS: () => msg('reason.yaml.alias'),
  ALIAS_PROPS: () => msg('reason.yaml.alias'),
  MULTIPLE_ANCHORS: () => msg('reason.yaml.alias'),
  TAG_RESOLVE_FAILED: () => msg('reason.yaml.tag'),
  MULTIPLE_TAGS: () => msg('reason.yaml.tag'),
  BAD_PROP_ORDER: () => msg('reason.yaml.tag'),
  BLOCK_IN_FLOW: () => msg('reason.yaml.blockInFlow'),
  KEY_OVER_1024_CHARS: () => msg('reason.yaml.longKey'),
  NON_STRING_KEY: () => msg('reason.yaml.nonStringKey'),
  BAD_DIRECTIVE: () => msg('reason.yaml.directive'),
  BAD_COLLECTION_TYPE: () => msg('reason.yaml.collectionType'),
  RESOURCE_EXHAUSTION: () => msg('reason.yaml.tooMuch'),
};

/** What a YAML parser error or warning means, by its code (undefined for a code not mapped: then its own text is shown). */
export function yamlReason(code: string | undefined): Message | undefined {
  const f = code === undefined ? undefined : Object.prototype.hasOwnProperty.call(YAML_REASONS, code) ? YAML_REASONS[code] : undefined;
  return f?.();
}

/**
 * A zod issue the schema walker has no own message for (its `default` case),
 * as a reason: a catalog message carried in the params by our own
 * refinements, else one per kind.
 */
export function zodReason(zi: { code: string; params?: unknown; divisor?: unknown; format?: unknown }): Message {
  const carried = (zi.params as { msg?: Message } | undefined)?.msg;
  if (carried && typeof carried === 'object' && typeof carried.code === 'string') return carried;
  if (zi.code === 'not_multiple_of' && (typeof zi.divisor === 'number' || typeof zi.divisor === 'bigint')) return msg('reason.zod.multipleOf', { divisor: String(zi.divisor) });
  if (zi.code === 'invalid_format' && typeof zi.format === 'string') return msg('reason.zod.format', { format: zi.format });
  return msg('reason.zod.other');
}
