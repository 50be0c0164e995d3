export * from './lib/free-port';
export * from './lib/app-process';
export * from './lib/cookie-jar';
export * from './lib/oauth-request.error';
export * from './lib/authorization-code-login';
export * from './lib/auth-server-harness';
