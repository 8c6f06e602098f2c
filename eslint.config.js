// ESLint: TypeScript rules plus the project's import boundaries.
// - only the Electron shell (src-main/electron) imports `electron`;
// - only the command runner (src-main/exec/runner.ts) imports execa/child_process;
// - only the guest module (src-main/guest) imports node-ssh/ssh2;
// - src-main/shared and src-renderer are browser code: no Node built-ins.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const msg = {
  electron: 'Only src-main/electron may import electron; put the logic in a service that runs under plain Node.',
  exec: 'Run external programs through src-main/exec/runner.ts (the one command runner).',
  ssh: 'Speak SSH through src-main/guest (the one guest module).',
  node: 'Browser code (src-main/shared, src-renderer) must not import Node built-ins.',
};
const paths = (names, message) => names.map((name) => ({ name, message }));
const electron = paths(['electron'], msg.electron);
const exec = paths(['execa', 'child_process', 'node:child_process'], msg.exec);
const ssh = paths(['node-ssh', 'ssh2'], msg.ssh);
const restrict = (...groups) => ['error', { paths: groups.flat(), patterns: [] }];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'resources/guest/**', 'tests/fake-vmrun/**/*.js', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Parsers of terminal and protocol output match control characters on purpose.
      'no-control-regex': 'off',
      'no-restricted-imports': restrict(electron, exec, ssh),
    },
  },
  { files: ['src-main/electron/**'], rules: { 'no-restricted-imports': restrict(exec, ssh) } },
  { files: ['src-main/exec/runner.ts'], rules: { 'no-restricted-imports': restrict(electron, ssh) } },
  { files: ['src-main/guest/**'], rules: { 'no-restricted-imports': restrict(electron, exec) } },
  {
    files: ['src-main/shared/**', 'src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { paths: [...electron, ...exec, ...ssh], patterns: [{ group: ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'net'], message: msg.node }] }],
    },
  },
  { files: ['tests/**', 'bench/**', 'scripts/**'], rules: { 'no-restricted-imports': restrict(electron, ssh) } },
);
