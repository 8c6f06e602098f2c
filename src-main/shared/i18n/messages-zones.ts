/**
 * Catalog domain: network zones, the routed firewall and the hardening profile (issue 14).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const zonesEn = {} as const;

export const zonesKo: Record<keyof typeof zonesEn, string> = {};
