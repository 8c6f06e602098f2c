export { IncusProvider, type IncusOptions } from './incus-provider';
export { IncusClient, IncusApiError, type IncusEndpoint } from './client';
