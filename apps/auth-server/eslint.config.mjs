import baseConfig from '../../eslint.config.mjs';

/** oidc-provider's internal modules: not covered by its semver (see src/oidc/provider-internals/README.md). */
const OIDC_PROVIDER_INTERNALS = {
  group: ['oidc-provider/lib/*', 'oidc-provider/lib/**'],
  message: 'oidc-provider internals are used only in src/oidc/provider-internals/ (one seam per file, each with its spec).',
};

export default [
  ...baseConfig,
  {
    files: ['**/*.ts'],
    ignores: ['src/oidc/provider-internals/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [OIDC_PROVIDER_INTERNALS] }],
    },
  },
];
