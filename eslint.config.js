// @ts-check
/**
 * ESLint flat config: @eslint/js recommended plus typescript-eslint's type-aware recommended set.
 * Type information comes from the TypeScript project service (tsconfig.json), so the rules see the
 * same types `tsc` does; plain JavaScript files (this one) are linted without it.
 */
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'var/', 'native/build/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `async` is how a function says it returns a promise: Fastify handlers and service hooks
      // such as ServiceRuntime.session are async by contract whether or not their body awaits.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks a parameter a signature needs but the body does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests read JSON bodies, log lines and YAML output and check them with expect(), which fails
    // loudly at run time; typing every JSON.parse first would add casts, not safety.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
