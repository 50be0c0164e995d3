import baseConfig, { moduleBoundaries } from '../eslint.config.mjs';

/**
 * What tools/ imports by path on purpose: the apps' configuration schemas (the generated
 * configuration reference), the auth server's password hashing (soak accounts) and bench/'s
 * process helpers (the soak starts services as the benchmarks do).
 */
const WHITE_BOX = ['^(\\.\\./)+apps/[a-z-]+/src/', '^(\\.\\./)+bench/lib/'];

export default [
  ...baseConfig,
  {
    // Command-line scripts: what they print on the console is their output.
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    rules: {
      'no-console': 'off',
      '@nx/enforce-module-boundaries': moduleBoundaries({ servicesMayUseTesting: true, allow: WHITE_BOX }),
    },
  },
];
