/**
 * Catalog domain: provisioning step titles, step errors and the up/down/status/watch output (issue 12).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const provisionEn = {} as const;

export const provisionKo: Record<keyof typeof provisionEn, string> = {};
