// ESLint, for the few rules that catch real bugs here, with the type information of each
// package's tsconfig.json. Style is Prettier's business (.prettierrc.json), not ESLint's.
// A disable comment needs a reason after `--` on the same line.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/.doc-examples/**', '**/.dbg/**', 'tools/bench/**'],
  },
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'tools/test/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits or catches: its failure escapes supervision.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // A task of Effection's spawn() is owned by the scope that spawned it: its failure fails
        // that scope, it is not lost.
        { allowForKnownSafePromises: [{ from: 'package', name: ['Task', 'Future'], package: 'effection' }] },
      ],
      // A promise where a boolean or a void callback is expected: an if that is always true,
      // an async listener whose rejection nobody sees.
      '@typescript-eslint/no-misused-promises': 'error',
      // Dead code, and names that were meant to be used. `_name` says "unused on purpose".
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Compiled by tsc, never run: their promises and values exist for their types.
    files: ['**/test/type-checks.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
);
