/**
 * All domains' texts merged. Add a domain: write `messages-<domain>.ts` with
 * `<domain>En` (`as const`) and `<domain>Ko: Record<keyof typeof <domain>En, string>`,
 * then spread both here. Codes must be unique across domains (the unit test checks).
 */
import { cliEn, cliKo } from './messages-cli';
import { hostEn, hostKo } from './messages-host';
import { namesEn, namesKo } from './messages-names';
import { planEn, planKo } from './messages-plan';
import { settingsEn, settingsKo } from './messages-settings';
import { validateEn, validateKo } from './messages-validate';
import { provisionEn, provisionKo } from './messages-provision';
import { errorsEn, errorsKo } from './messages-errors';
import { drillEn, drillKo } from './messages-drill';
import { incusEn, incusKo } from './messages-incus';
import { postgresEn, postgresKo } from './messages-postgres';
import { zonesEn, zonesKo } from './messages-zones';
import { cacheEn, cacheKo } from './messages-cache';
import { monitoringEn, monitoringKo } from './messages-monitoring';

export const CATALOG_EN = { ...namesEn, ...validateEn, ...cliEn, ...hostEn, ...planEn, ...settingsEn,
  ...provisionEn, ...errorsEn, ...drillEn, ...incusEn, ...postgresEn, ...zonesEn, ...cacheEn, ...monitoringEn,
} as const;
export type CatalogEn = typeof CATALOG_EN;
export const CATALOG_KO: Record<keyof CatalogEn, string> = { ...namesKo, ...validateKo, ...cliKo, ...hostKo, ...planKo, ...settingsKo,
  ...provisionKo, ...errorsKo, ...drillKo, ...incusKo, ...postgresKo, ...zonesKo, ...cacheKo, ...monitoringKo,
};

/** Each domain's code list, to check that no two domains define the same code. */
export const DOMAIN_CODES: Record<string, readonly string[]> = {
  names: Object.keys(namesEn),
  validate: Object.keys(validateEn),
  cli: Object.keys(cliEn),
  host: Object.keys(hostEn),
  plan: Object.keys(planEn),
  settings: Object.keys(settingsEn),
  provision: Object.keys(provisionEn),
  errors: Object.keys(errorsEn),
  drill: Object.keys(drillEn),
  incus: Object.keys(incusEn),
  postgres: Object.keys(postgresEn),
  zones: Object.keys(zonesEn),
  cache: Object.keys(cacheEn),
  monitoring: Object.keys(monitoringEn),
};
