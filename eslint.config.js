// @ts-check
'use strict';
// `npm run lint`: typescript-eslint (type-aware) for TypeScript, the recommended rules for the
// JavaScript scripts, Prettier for layout. The architecture rules live here too, so CI enforces
// them: the domain stays free of infrastructure, only libs/kafka talks to kafkajs, and the
// service's folders keep a layer order with no import cycle (eslint-rules/architecture.js).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');
const globals = require('globals');
const architecture = require('./eslint-rules/architecture');

// The layer order of apps/api-keys/src, top first: every first-level folder and file has a place,
// and an import goes down the order or to a peer in the same layer (`architecture/layers`); no
// files and no folders import each other in a circle (`architecture/no-cycles`). Entry points on
// top, then the use cases, the one write path, and the adapters and plumbing they stand on.
const API_KEYS_LAYERS = [
  ['main.ts', 'cli.ts'],
  ['http-app.ts', 'cli'],
  ['rebuild', 'bootstrap'],
  ['app.module.ts'],
  [
    'create-api-key',
    'delete-api-key',
    'update-api-key',
    'roll-api-key',
    'get-api-key',
    'get-api-key-history',
    'get-api-key-usage',
    'list-api-keys',
    'get-api-key-propagation',
    'health',
  ],
  ['write-path'],
  ['auth', 'users'],
  ['projector', 'usage'],
  ['event-log', 'verifier-heartbeats'],
  ['http'],
  ['metrics'],
  ['read-model'],
  ['api-key-resource', 'rate-limits'],
  ['logging.ts', 'shutdown.ts'],
  ['config', 'errors.ts'],
];

// The layer order of apps/verifier/src, top first, by the same rules: the entry point and its
// HTTP server, the module, the verify route and health, what they stand on (the token gate, the
// state reader, usage counting), then the in-memory index and the plumbing.
const VERIFIER_LAYERS = [
  ['main.ts'],
  ['http-server.ts'],
  ['app.module.ts'],
  ['verify-key', 'health', 'heartbeat'],
  ['token', 'state-reader', 'usage'],
  ['key-index', 'metrics', 'http', 'memory'],
  ['logging.ts'],
  ['config'],
];

module.exports = tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist-bench/', 'coverage/', '.stack/'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Augmenting Express's Request type is a declaration, not a runtime namespace.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'kafkajs', message: 'kafkajs is reached only through libs/kafka (@app/kafka).' }] },
      ],
    },
  },
  {
    // Tests read the topic with a client of their own, and assert on loosely typed JSON.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['libs/kafka/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    // The dependency rule: the domain (and the public contract built on it) is plain TypeScript.
    // It is what every other layer builds on and what downstream consumers import, so it must
    // not pull in a framework, a database or a broker client.
    files: ['libs/domain/**/*.ts', 'libs/contracts/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'mongoose', 'mongodb', 'kafkajs', 'express', 'class-validator', 'class-transformer'],
              message: 'the domain and the contract stay free of infrastructure.',
            },
            {
              group: ['@app/kafka', '@app/contracts', '**/apps/**'],
              message: 'the domain and the contract depend on nothing above them.',
            },
          ],
        },
      ],
    },
  },
  {
    // What the API and the verifier share about a presented key stays framework-free too: both
    // apps build on it, and it builds on the domain alone.
    files: ['libs/access/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'mongoose', 'mongodb', 'kafkajs', 'express', 'class-validator', 'class-transformer'],
              message: 'libs/access stays free of infrastructure.',
            },
            {
              group: ['@app/kafka', '@app/contracts', '**/apps/**'],
              message: 'libs/access depends on the domain alone.',
            },
          ],
        },
      ],
    },
  },
  {
    // Usage counting and publishing, shared by the API and the verifier: framework- and
    // broker-free (the app hands in how records are appended), on the contract alone.
    files: ['libs/usage/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'mongoose', 'mongodb', 'kafkajs', 'express', 'class-validator', 'class-transformer'],
              message: 'libs/usage stays free of infrastructure.',
            },
            { group: ['@app/kafka', '**/apps/**'], message: 'libs/usage depends on the contract alone.' },
          ],
        },
      ],
    },
  },
  {
    // The service's import graph: the layer order above, and no cycle between its files or
    // between its folders. Specs are outside the graph: they may import whatever they test.
    files: ['apps/api-keys/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    plugins: { architecture },
    rules: {
      'architecture/layers': ['error', { root: 'apps/api-keys/src', order: API_KEYS_LAYERS }],
      'architecture/no-cycles': ['error', { root: 'apps/api-keys/src' }],
    },
  },
  {
    files: ['apps/verifier/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    plugins: { architecture },
    rules: {
      'architecture/layers': ['error', { root: 'apps/verifier/src', order: VERIFIER_LAYERS }],
      'architecture/no-cycles': ['error', { root: 'apps/verifier/src' }],
    },
  },
  prettier,
);
