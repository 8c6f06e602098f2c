/**
 * Catalog domain: Redis with Sentinel and the HAProxy engine (issue 14).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const cacheEn = {} as const;

export const cacheKo: Record<keyof typeof cacheEn, string> = {};
