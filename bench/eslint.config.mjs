import baseConfig, { moduleBoundaries } from '../eslint.config.mjs';

/** What bench/ imports by path on purpose: the app code it measures (e.g. the auth server's JWS verifier). */
const WHITE_BOX = ['^(\\.\\./)+apps/[a-z-]+/src/'];

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
