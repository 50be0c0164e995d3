export * from './lib/token-exchange.module';
export * from './lib/token-exchange.options';
export * from './lib/token-exchange-options.error';
export * from './lib/token-exchange.constants';
export * from './lib/token-exchange.service';
export * from './lib/exchange-request';
export * from './lib/clock';
export * from './lib/token-fingerprint';
export * from './lib/dpop/dpop-key';
export * from './lib/dpop/dpop-proofs';
export * from './lib/cache/exchange-cache-key';
export * from './lib/cache/exchange-cache';
export * from './lib/cache/usable-until';
export * from './lib/client-auth/client-authentication';
export * from './lib/client-auth/client-secret.authentication';
export * from './lib/client-auth/private-key-jwt.authentication';
export * from './lib/token-endpoint/token-endpoint.client';
export * from './lib/telemetry/token-exchange.telemetry';
export * from './lib/resolve-token-exchange-options';
export * from './lib/errors/token-exchange.error';
export * from './lib/errors/subject-token-rejected.error';
export * from './lib/errors/token-exchange-misconfigured.error';
export * from './lib/errors/auth-server-unavailable.error';
export * from './lib/errors/downstream-unavailable.error';
export * from './lib/errors/downstream-failed.error';
export * from './lib/errors/token-exchange-exception.filter';
export * from './lib/downstream/downstream.client';
export * from './lib/downstream/downstream-clients.service';
export * from './lib/downstream/downstream-request';
export {
  TOKEN_EXCHANGE_OPTIONS,
  RESOLVED_TOKEN_EXCHANGE_OPTIONS,
  TOKEN_EXCHANGE_OPTIONS_TYPE,
  TOKEN_EXCHANGE_ASYNC_OPTIONS_TYPE,
} from './lib/token-exchange.module-definition';
