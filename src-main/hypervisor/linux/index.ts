/** The Linux lab provider and its helpers for scripts, the CLI and tests. */
export { LinuxLabProvider, type LinuxLabOptions } from './linux-provider';
export { ensureBaseImage, ensureBaseImageDetailed, baseCacheDir, type BaseImage, type BaseImageOptions } from './base-image';
export type { LabLeftovers } from './cleanup';
export { GUARD_METRIC, checkLabSubnet } from './net-guard';
