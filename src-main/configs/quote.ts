/**
 * Quoting for every text format the renderers emit. Blueprint values are
 * validated upstream, but a renderer must never depend on that: each value is
 * quoted for its destination, or rejected with a clear error when the format
 * has no safe way to carry it.
 */

/** Quote a string as one POSIX shell word (single quotes). */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A MySQL/MariaDB string literal (default sql_mode, backslash escapes on). */
export function sqlString(value: string): string {
  const escaped = value.replace(/[\0\n\r\x1a'"\\]/g, (c) => {
    switch (c) {
      case '\0':
        return '\\0';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\x1a':
        return '\\Z';
      default:
        return `\\${c}`;
    }
  });
  return `'${escaped}'`;
}

/** A MySQL/MariaDB identifier in backticks. */
export function sqlIdent(name: string): string {
  if (name.includes('\0')) throw new Error('An SQL identifier cannot contain a NUL character.');
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * A database name for `GRANT … ON db.*`: at the database level `_` and `%`
 * are wildcards, so they are escaped to match only this schema.
 */
export function sqlGrantDb(name: string): string {
  return sqlIdent(name.replace(/\\/g, '\\\\').replace(/([_%])/g, '\\$1'));
}

/** `'user'@'host'` for account statements. */
export function sqlAccount(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`;
}

/** A double-quoted string for nginx or keepalived; `$` is refused because nginx would expand it. */
export function confString(value: string, what: string): string {
  if (/[\n\r$;{}]/.test(value)) throw new Error(`${what} "${value}" contains characters that cannot be written safely into a config file.`);
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * A value for a systemd EnvironmentFile that docker compose's `env_file`
 * reads the same way: single-quoted, which both treat literally.
 */
export function envValue(value: string, what: string): string {
  if (/['\n\r\0]/.test(value)) throw new Error(`${what} cannot contain quotes or line breaks.`);
  return `'${value}'`;
}

/** An RFC 1123 host name, as the blueprint validation requires. */
export const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Throw unless `name` is a plain host name (it ends up in hosts files, headers and unit names). */
export function assertHostname(name: string): string {
  if (!HOSTNAME_RE.test(name)) throw new Error(`Refusing to render: "${name}" is not a valid host name (RFC 1123: lowercase letters, digits and "-").`);
  return name;
}

/** Throw unless `ip` is a dotted IPv4 address (optionally with a /prefix). */
export function assertIpv4(ip: string, what = 'address'): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(ip)) throw new Error(`Refusing to render: ${what} "${ip}" is not an IPv4 address.`);
  return ip;
}

/** Letters, digits and `_` only: for keepalived instance names and metric label-safe ids. */
export function safeId(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, '_');
  return id === '' ? '_' : id;
}

/** A double-quoted Prometheus label value / YAML-safe string. */
export function promLabel(value: string): string {
  return JSON.stringify(value);
}
