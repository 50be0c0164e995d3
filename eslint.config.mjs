import nx from '@nx/eslint-plugin';

/**
 * Module boundaries: Nx tags in two dimensions, kind (`type:*`) and owner (`scope:*`), plus one
 * narrow marker (`layer:contracts` on libs/dto). The rules are DESIGN's and STYLE's:
 * - a PACKAGE (`type:package`: what another team installs) depends on no internal lib at all, not
 *   even another package (token-exchange never imports resource-server and vice-versa), and pulls
 *   in no framework it does not declare (no Swagger, Terminus, class-validator, pino); the
 *   oidc-provider plugin (`scope:auth`) imports no NestJS;
 * - a util (`type:util`: config, dto, observability, sqlite, http-api) uses utils and packages;
 *   the contracts (dto) use nothing internal, so never config;
 * - apps, e2e projects and tools use utils, packages and the testing lib; a service (scope auth,
 *   user, message) reaches the testing lib only from its tests (the second block below), while
 *   the demo walkthrough, the e2e projects, bench/ and tools/ are test drivers throughout.
 * tools/lint-rules/module-boundaries.spec.ts proves that a forbidden import fails lint.
 */
const INTERNAL_KINDS = ['type:util', 'type:package', 'type:testing', 'type:app', 'type:e2e', 'type:tool'];

/** @param {{ servicesMayUseTesting: boolean }} options */
function depConstraints({ servicesMayUseTesting }) {
  const testing = servicesMayUseTesting ? ['scope:testing'] : [];
  return [
    // kind
    { sourceTag: 'type:package', onlyDependOnLibsWithTags: [], notDependOnLibsWithTags: INTERNAL_KINDS },
    {
      sourceTag: 'type:package',
      bannedExternalImports: ['@nestjs/swagger', '@nestjs/terminus', 'class-validator', 'class-transformer', 'nestjs-pino', 'pino', 'pino-http', 'prom-client'],
    },
    { allSourceTags: ['type:package', 'scope:auth'], bannedExternalImports: ['@nestjs/*'] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:package'] },
    { sourceTag: 'layer:contracts', onlyDependOnLibsWithTags: ['layer:contracts'] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:package'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:util', 'type:package', 'type:testing'] },
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:util', 'type:package', 'type:testing'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:util', 'type:package', 'type:testing'] },
    // scope
    { sourceTag: 'scope:auth', onlyDependOnLibsWithTags: ['scope:auth', 'scope:shared', ...testing] },
    { sourceTag: 'scope:user', onlyDependOnLibsWithTags: ['scope:shared', ...testing] },
    { sourceTag: 'scope:message', onlyDependOnLibsWithTags: ['scope:shared', ...testing] },
    { sourceTag: 'scope:demo', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing'] },
    { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:auth', 'scope:shared', 'scope:testing'] },
    { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:auth', 'scope:shared', 'scope:testing'] },
    { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:auth'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ];
}

/**
 * The rule's options; bench/ and tools/ add `allow` entries for the white-box imports their
 * scripts make on purpose (an app's config schema, the code under benchmark).
 * @param {{ servicesMayUseTesting: boolean, allow?: string[] }} options
 */
export function moduleBoundaries(options) {
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      banTransitiveDependencies: false,
      allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$', ...(options.allow ?? [])],
      depConstraints: depConstraints(options),
    },
  ];
}

const SOURCE_FILES = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts', '**/*.js', '**/*.jsx', '**/*.mjs', '**/*.cjs'];
/** Test code: specs next to the code, an app's in-process tests, jest set-up files. */
const TEST_FILES = ['**/*.spec.ts', '**/*.test.ts', '**/test/**/*.ts', '**/test-support/**/*.ts', '**/jest.config.[cm]ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    // examples/ are standalone apps with their own package.json, outside the workspace graph.
    ignores: ['**/dist', '**/out-tsc', '**/test-output', 'examples/**'],
  },
  {
    files: SOURCE_FILES,
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ servicesMayUseTesting: false }),
      'no-console': 'error',
    },
  },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ servicesMayUseTesting: true }),
    },
  },
];
