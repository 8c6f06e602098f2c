/**
 * Catalog domain: PostgreSQL, Patroni and etcd: validation, plan, provisioning, drills (issue 14).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const postgresEn = {} as const;

export const postgresKo: Record<keyof typeof postgresEn, string> = {};
