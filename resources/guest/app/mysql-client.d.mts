// Types for mysql-client.mjs (used by the TypeScript tests; the guest only needs the .mjs).
export class MysqlError extends Error {
  errno: number;
  sqlState: string;
  fatal: boolean;
  constructor(message: string, opts?: { errno?: number; sqlState?: string; fatal?: boolean });
}
export interface ConnectOptions {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}
export type Value = string | number | bigint | boolean | Date | null | undefined;
export interface QueryResult {
  rows: Record<string, string | number | null>[];
  fields: string[];
  affectedRows: number;
  insertId: number;
  warnings: number;
}
export function nativePasswordToken(password: string, scramble: Buffer): Buffer;
export function cachingSha2Token(password: string, scramble: Buffer): Buffer;
export function encryptPassword(password: string, scramble: Buffer, publicKeyPem: string): Buffer;
export function escapeValue(value: Value, noBackslashEscapes?: boolean): string;
export function formatQuery(sql: string, params?: Value[], noBackslashEscapes?: boolean): string;
export class Connection {
  serverVersion: string;
  closed: boolean;
  noBackslashEscapes: boolean;
  static connect(options: ConnectOptions): Promise<Connection>;
  query(sql: string, params?: Value[]): Promise<QueryResult>;
  close(): void;
  destroy(): void;
}
export class Pool {
  constructor(options: ConnectOptions, maxIdle?: number);
  query(sql: string, params?: Value[]): Promise<QueryResult>;
  end(): void;
}
