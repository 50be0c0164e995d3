import baseConfig, { moduleBoundaries } from '../eslint.config.mjs';

/**
 * What bench/ imports by path on purpose: the app or library code it measures that no entry point
 * exports (e.g. the grant's JWS signature check inside libs/oidc-provider-token-exchange).
 */
const WHITE_BOX = ['^(\\.\\./)+apps/[a-z-]+/src/', '^(\\.\\./)+libs/[a-z-]+/src/'];

export default [
  ...baseConfig,
  {
    // Command-line scripts: what they print on the console is their output. They drive the
    // services like a test does, so the testing lib is theirs everywhere.
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    rules: {
      'no-console': 'off',
      '@nx/enforce-module-boundaries': moduleBoundaries({ servicesMayUseTesting: true, allow: WHITE_BOX }),
    },
  },
];
