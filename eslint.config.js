/**
 * ESLint (flat config) with typescript-eslint's type-aware rules (`projectService`: each file is
 * checked with the tsconfig that includes it, the root tsconfig.json for nearly all).
 *
 * Three rule sets: library code (`packages/*\/src`), the rest of the TypeScript (tests,
 * examples, benchmarks, reliability, test-support), and plain JavaScript (scripts, bins, this
 * file). Plus the import boundaries of shared/DESIGN.md: dependencies point one way
 * (cli / server → runs → stores, providers, tools, mcp → core), core imports no other Mixtape
 * package, and no library file imports tests, test-support, examples or benchmarks.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Packages that sit below the server, the CLI and durable runs. */
const LOWER_PACKAGES = ['anthropic', 'bedrock', 'openai', 'sqlite', 'postgres', 'tools', 'mcp', 'testing'];

/** A relative or aliased import that reaches into test code, examples or benchmarks. */
const NOT_LIBRARY_CODE = {
  regex: '(^|/)(test|tests|test-support|examples|bench|reliability)(/|$)',
  message: 'Library code (packages/*/src) must not import tests, test-support, examples or benchmarks.',
};

/** `no-restricted-imports` for a package's src/: the common rule plus the packages it must not use. */
function boundaries(forbidden, why) {
  return [
    'error',
    {
      patterns: [NOT_LIBRARY_CODE, ...(forbidden.length ? [{ group: forbidden, message: why }] : [])],
    },
  ];
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      '**/.mixtape/**',
      'bench/peers/**',
      'examples/.readme-quick-start-*',
      'packages/cli/.bench-build-me/**',
      'packages/cli/.bench-build-me.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Type-only imports stay type-only (verbatimModuleSyntax); auto-fixable.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An empty catch needs a comment that says why (the block is then not empty).
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Promises are awaited, returned or marked `void` on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      // Parsing JSON from the wire is `unknown` work; these fire on every JSON.parse and SDK `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `${error}` of an unknown error is how messages are built here.
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      // async functions without await implement async interfaces (stores, models).
      '@typescript-eslint/require-await': 'off',
      // Terminal output and input sanitising match control characters on purpose.
      'no-control-regex': 'off',
      // Methods handed on as callbacks are bound or use no `this`; the rule cannot tell (noisy).
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    name: 'library code',
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': boundaries([], ''),
    },
  },
  {
    name: 'entry points list their public names',
    files: ['packages/*/src/index.ts', 'packages/core/src/session/index.ts', 'packages/core/src/testing/index.ts'],
    rules: {
      // A public API lists its names: no `export *` (internal helpers would become public).
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Export public names by name, not with export *.' }],
    },
  },
  {
    name: 'boundaries: core imports no other Mixtape package',
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': boundaries(
        ['@mixtape/*', '!@mixtape/core', '!@mixtape/core/*'],
        '@mixtape/core depends on no provider, store or integration package: they depend on it.',
      ),
    },
  },
  {
    name: 'boundaries: providers, stores, tools, mcp and testing sit below runs, server and cli',
    files: LOWER_PACKAGES.map((p) => `packages/${p}/src/**/*.ts`),
    rules: {
      'no-restricted-imports': boundaries(
        ['@mixtape/cli', '@mixtape/cli/*', '@mixtape/server', '@mixtape/server/*', '@mixtape/runs', '@mixtape/runs/*'],
        'Dependencies point one way: cli / server → runs → stores, providers, tools, mcp → core.',
      ),
    },
  },
  {
    name: 'boundaries: runs sits below server and cli',
    files: ['packages/runs/src/**/*.ts'],
    rules: {
      'no-restricted-imports': boundaries(
        ['@mixtape/cli', '@mixtape/cli/*', '@mixtape/server', '@mixtape/server/*'],
        'Dependencies point one way: cli / server → runs → stores, providers, tools, mcp → core.',
      ),
    },
  },
  {
    name: 'tests, examples, benchmarks',
    files: [
      'packages/*/test/**/*.ts',
      'examples/**/*.ts',
      'bench/**/*.ts',
      'reliability/**/*.ts',
      'test-support/**/*.ts',
      'vitest.config.ts',
    ],
    rules: {
      // Test doubles and fixtures cast freely; examples and benchmarks print.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      // Protocol enums (AG-UI EventType) are compared with the literals a client sees.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  {
    name: 'plain JavaScript (scripts, bins, configs)',
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        console: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        module: 'readonly',
        require: 'readonly',
      },
    },
  },
);
