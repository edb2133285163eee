// @ts-check
'use strict';
// `npm run lint`: typescript-eslint (type-aware) for TypeScript, the recommended rules for the
// JavaScript scripts, Prettier for layout. The architecture rules live here too, so CI enforces
// them: the domain stays free of infrastructure, and only libs/kafka talks to kafkajs.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');
const globals = require('globals');

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
              group: ['@app/kafka', '**/apps/**'],
              message: 'the domain and the contract depend on nothing above them.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
