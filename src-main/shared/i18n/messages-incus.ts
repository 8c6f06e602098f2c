/**
 * Catalog domain: the Incus/LXD provider, its doctor lines and the classroom commands (issue 15).
 * English and Korean side by side; every code in both (tests/unit/i18n-catalog).
 */
export const incusEn = {
  'provider.incus': 'Incus/LXD',
} as const;

export const incusKo: Record<keyof typeof incusEn, string> = {
  'provider.incus': 'Incus/LXD',
};
