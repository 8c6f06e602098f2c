/**
 * Catalog domain: backend errors (BackendError), reasons from zod, the YAML parser and the IP module, the template boot probe (issue 12).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const errorsEn = {} as const;

export const errorsKo: Record<keyof typeof errorsEn, string> = {};
