/**
 * Config renderers: pure functions from the resolved blueprint (plus the
 * lab's secrets and the effective DB engine) to the text of every file the
 * guests need. No I/O, no randomness, no clock.
 */
export * from './context';
export * from './quote';
export * from './system';
export * from './ufw';
export * from './nginx';
export * from './keepalived';
export * from './mysql-server';
export * from './mysql-sql';
export * from './mysql-status';
export * from './prometheus';
export * from './alerting';
export * from './backup';
export * from './app';
export * from './node-files';
