/**
 * `@baton/token-exchange/testing`: what you need to test code that uses the token-exchange
 * client, without a real auth server and without mocking HTTP. Nothing here imports a test
 * framework: use it from Jest, Vitest or `node:test`.
 */
export * from './lib/testing/token-endpoint-stub';
export * from './lib/testing/http-stub';
export * from './lib/testing/fake-clock';
export * from './lib/testing/token-answers';
export * from './lib/testing/silent-logger';
export * from './lib/testing/dpop-proof';
