// Types for redis-cache.mjs (used by the TypeScript tests; the guest only needs the .mjs).
export interface HostPort {
  host: string;
  port: number;
}
export function parseHosts(text: string, defaultPort: number): HostPort[];
export function parseMasterReply(reply: unknown): HostPort | undefined;
export interface CacheStatus {
  enabled: true;
  inUse: boolean;
  master: string | null;
  masterName: string;
  sentinels: string[];
  switches: number;
  lastError?: string;
}
export interface SentinelCacheOptions {
  sentinels: HostPort[];
  masterName: string;
  password: string;
  sentinelPassword: string;
  ttlSeconds?: number;
  opTimeoutMs?: number;
  refreshMs?: number;
  retryMs?: number;
  redisModule?: string;
  log?: (fields: object) => void;
}
export class SentinelCache {
  constructor(o: SentinelCacheOptions);
  master: string | undefined;
  switches: number;
  resolve(): Promise<HostPort>;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<boolean>;
  status(): CacheStatus;
  end(): void;
}
