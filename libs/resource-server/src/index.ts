export * from './lib/resource-server.module';
export {
  RESOLVED_RESOURCE_SERVER_OPTIONS,
  RESOURCE_SERVER_MODULE_OPTIONS,
  RESOURCE_SERVER_OPTIONS_TYPE,
  RESOURCE_SERVER_ASYNC_OPTIONS_TYPE,
} from './lib/resource-server.module-definition';
export * from './lib/resource-server-options';
export * from './lib/principal';
export * from './lib/claims/act-claim';
export * from './lib/decorators/public.decorator';
export * from './lib/decorators/scopes.decorator';
export * from './lib/decorators/current-principal.decorator';
export * from './lib/errors/bearer-problems';
export * from './lib/errors/resource-server.error';
export * from './lib/filters/resource-server-exception.filter';
export { JwksKeyStore, type VerificationKey } from './lib/jwks/jwks-key-store';
export * from './lib/jwks/jwks-readiness.check';
export * from './lib/metadata/protected-resource-metadata';
export * from './lib/metadata/protected-resource-metadata.controller';
export { BATON_JWT_STRATEGY } from './lib/strategy/baton-jwt.strategy';
export * from './lib/verification/access-token-verifier';
export * from './lib/guards/access-token.guard';
export * from './lib/guards/scopes.guard';
export * from './lib/dpop/dpop-replay-store';
export * from './lib/dpop/dpop-nonces';
export { jwkThumbprint } from './lib/dpop/jwk-thumbprint';
export { accessTokenHash } from './lib/dpop/dpop-proof';
export { SenderConstraint } from './lib/dpop/sender-constraint';
