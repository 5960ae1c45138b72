// Lint rules (DEV-2): typescript-eslint with type information (no `any`, no floating promises) and
// eslint-plugin-security on the server code.
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', '.test-run/**', 'data/**', 'scripts/*.mjs', 'bin/**', 'eslint.config.js', 'web/vite.config.ts', '.dependency-cruiser.cjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/require-await': 'off',
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { security },
    rules: {
      ...security.configs.recommended.rules,
      // Object keys here are our own constants, never user input; the rule flags every obj[key].
      'security/detect-object-injection': 'off',
      // File paths here come from operator configuration and constants only; user-supplied names never
      // become paths (ING-5: the storage layer uses random ids). The rule flags every variable path.
      'security/detect-non-literal-fs-filename': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // node:test's describe()/test() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
);
