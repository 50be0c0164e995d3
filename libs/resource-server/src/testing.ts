/**
 * `@baton/resource-server/testing`: what an adopter needs to test protected routes without an
 * authorization server. No test framework is imported.
 */
export * from './lib/testing/test-issuer';
export * from './lib/testing/jwks-test-server';
export * from './lib/testing/token-forge';
export * from './lib/testing/dpop-proof-forge';
