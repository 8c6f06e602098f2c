/**
 * Catalog domain: drills: titles, hypotheses, checks, verdicts, notes, reports, objectives (issues 12, 14).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const drillEn = {} as const;

export const drillKo: Record<keyof typeof drillEn, string> = {};
