/**
 * A plain oidc-provider v9 authorization server (no NestJS) that grants RFC 8693 token exchange
 * with @baton/oidc-provider-token-exchange. orders-service gets a token for itself
 * (client_credentials) and exchanges it for a billing-service token that records it as actor:
 *
 *   POST /token grant_type=client_credentials resource=http://localhost:7001 scope=billing.read  (Basic orders-service)
 *   POST /token grant_type=urn:ietf:params:oauth:grant-type:token-exchange
 *               subject_token=<that token> subject_token_type=urn:ietf:params:oauth:token-type:access_token
 *               audience=billing-service                                          (Basic orders-service)
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { errors, type Configuration, type JWKS, type ResourceServer } from 'oidc-provider';
import {
  exchangeTokenClaims,
  parseExchangePolicy,
  registerTokenExchange,
  toPublicJwks,
  TOKEN_EXCHANGE_GRANT_TYPE,
  type ExchangeTarget,
  type TokenExchangePolicy,
} from '@baton/oidc-provider-token-exchange';

const port = Number(process.env['PORT'] ?? '7000');
const issuer = process.env['ISSUER'] ?? `http://localhost:${port}`;

/**
 * The resource servers tokens are issued for, and exchanged for. orders-service's tokens may carry
 * billing.read so that they can be exchanged for a billing-service token: an exchange never
 * widens the subject token's scope.
 */
const targets: ExchangeTarget[] = [
  { audience: 'orders-service', resource: 'http://localhost:7001', scopes: ['orders.read', 'billing.read'], accessTokenTtl: 300 },
  { audience: 'billing-service', resource: 'http://localhost:7002', scopes: ['billing.read'], accessTokenTtl: 300 },
];

/** Which client may exchange what: orders-service presents its own tokens, for billing-service only. */
const policies = new Map<string, TokenExchangePolicy>([
  ['orders-service', parseExchangePolicy({ targets: ['billing-service'] }, { clientId: 'orders-service', targets })],
]);

// One signing key, generated at start (persist yours: tokens must outlive a restart).
const kid = randomUUID();
const signingJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
// node:crypto's JsonWebKey and @types/oidc-provider's JWK describe the same JSON, typed apart.
const jwks = { keys: [signingJwk] } as JWKS;

function targetFor(resource: string): ExchangeTarget {
  const target = targets.find((candidate) => candidate.resource === resource);
  if (target === undefined) throw new errors.InvalidTarget('the resource is not registered at this server');
  return target;
}

/** How tokens for a target are issued, by any grant: JWTs signed with the ES256 key. */
function resourceServerInfo(target: ExchangeTarget): ResourceServer {
  return { audience: target.audience, scope: target.scopes.join(' '), accessTokenTTL: target.accessTokenTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
}

const configuration: Configuration = {
  clients: [
    {
      client_id: 'orders-service',
      client_secret: 'orders-secret',
      grant_types: ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE],
      response_types: [],
      redirect_uris: [],
      scope: 'orders.read billing.read',
    },
  ],
  // The provider signs with the one ES256 key below (its default would be RS256).
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  // Scopes the provider knows of: every target's.
  scopes: [...new Set(targets.flatMap((target) => target.scopes))],
  ttl: { ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 300 },
  jwks,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'http://localhost:7001',
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => resourceServerInfo(targetFor(resource)),
    },
  },
  // The grant's `act` claim reaches the issued JWT only through this hook.
  extraTokenClaims: (_ctx, token) => ({ ...exchangeTokenClaims(token) }),
};

const provider = new Provider(issuer, configuration);

registerTokenExchange(provider, {
  publicJwks: toPublicJwks([signingJwk]),
  policyFor: (clientId) => policies.get(clientId),
  targets,
  resourceServerInfo,
  // One entry per exchange request, granted or refused; it names tokens by jti only.
  audit: (entry) => process.stdout.write(`${JSON.stringify({ tokenExchange: entry })}\n`),
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider with token exchange at ${issuer}\n`);
});
