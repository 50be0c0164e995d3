/**
 * The peers benchmark's "bare oidc-provider" (issue 15): the same oidc-provider 9 Baton runs, on
 * plain `node:http`, no Nest, no logging, configured like Baton's token endpoint: ES256, JWT access
 * tokens through resource indicators, one confidential client (client_secret_basic) with
 * client_credentials, and a minimal RFC 8693 grant registered with `registerGrantType` that
 * verifies the subject with `node:crypto` (one cached KeyObject), checks `iss`, `aud` and `exp`,
 * and issues what Baton's exchange issues (`sub`, `act`, `aud`, `scope`, `client_id`, `exp` capped
 * by the subject's) as a JWT access token. Started by bench/peers/index.mts with PORT and
 * PEER_PRIVATE_JWK (the ES256 key it signs with); `GET /health` answers once it listens.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { errors, type Configuration, type JWK, type ResourceServer, type TokenEndpointGrantContext } from 'oidc-provider';
import { PEER_CLIENT, PEER_EXCHANGE, PEER_RESOURCE_SERVERS, TOKEN_EXCHANGE_GRANT } from './peer-configuration.mts';

const port = Number(process.env['PORT']);
const privateJwk = JSON.parse(process.env['PEER_PRIVATE_JWK'] ?? '{}') as JsonWebKey & { kid: string };
const issuer = `http://127.0.0.1:${port}`;

/** The subject's signature is checked with this one key, imported once (as Baton's grant does). */
const publicKey: KeyObject = createPublicKey({ key: { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y }, format: 'jwk' });

type ResourceServerDefinition = (typeof PEER_RESOURCE_SERVERS)[number];
const byIndicator = new Map<string, ResourceServerDefinition>(
  PEER_RESOURCE_SERVERS.flatMap((server) => [[server.resource, server] as const, [server.audience, server] as const]),
);
const resourceServerInfo = (server: ResourceServerDefinition): ResourceServer => ({
  audience: server.audience,
  scope: server.scopes.join(' '),
  accessTokenTTL: server.accessTokenTtl,
  accessTokenFormat: 'jwt',
  jwt: { sign: { alg: 'ES256' } },
});

const configuration: Configuration = {
  clients: [
    {
      client_id: PEER_CLIENT.id,
      client_secret: PEER_CLIENT.secret,
      grant_types: ['client_credentials', TOKEN_EXCHANGE_GRANT],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: PEER_CLIENT.scopes.join(' '),
    },
  ],
  jwks: { keys: [{ ...privateJwk, alg: 'ES256', use: 'sig' } as JWK] },
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  scopes: ['openid', ...PEER_CLIENT.scopes],
  routes: { token: '/oauth2/token', jwks: '/oauth2/jwks' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => PEER_CLIENT.defaultResource,
      getResourceServerInfo: (_ctx, indicator) => {
        const server = byIndicator.get(indicator);
        if (server === undefined) throw new errors.InvalidTarget();
        return resourceServerInfo(server);
      },
      useGrantedResource: () => true,
    },
  },
  // The exchange's `act`: oidc-provider puts extra claims in a JWT only through this hook.
  extraTokenClaims: (_ctx, token) => ((token as { gty?: string }).gty === TOKEN_EXCHANGE_GRANT ? { act: { sub: token.clientId } } : undefined),
};

const provider = new Provider(issuer, configuration);

interface SubjectClaims {
  sub: string;
  iss: string;
  aud: string | string[];
  exp: number;
  scope?: string;
}

/** The compact JWS's ES256 signature with node:crypto, then its `iss`, `aud` and `exp`. */
function verifySubject(token: string): SubjectClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new errors.InvalidRequest('subject_token is not a JWT');
  const [header, payload, signature] = parts as [string, string, string];
  const protectedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string; typ?: string };
  if (protectedHeader.alg !== 'ES256' || protectedHeader.typ !== 'at+jwt') throw new errors.InvalidRequest('subject_token header refused');
  const signed = verify('sha256', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  if (!signed) throw new errors.InvalidRequest('subject_token signature invalid');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SubjectClaims;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== issuer) throw new errors.InvalidRequest('subject_token issuer refused');
  if (!audiences.includes(PEER_EXCHANGE.subjectAudience)) throw new errors.InvalidRequest('subject_token audience refused');
  if (typeof claims.exp !== 'number' || claims.exp <= Math.floor(Date.now() / 1000)) throw new errors.InvalidRequest('subject_token expired');
  return claims;
}

interface ExchangeParameters {
  subject_token?: string;
  subject_token_type?: string;
  audience?: string;
}

provider.registerGrantType<ExchangeParameters>(
  TOKEN_EXCHANGE_GRANT,
  async (ctx: TokenEndpointGrantContext<ExchangeParameters>) => {
    const { client, params } = ctx.oidc;
    if (params.subject_token === undefined || params.subject_token_type !== PEER_EXCHANGE.subjectTokenType) {
      throw new errors.InvalidRequest('subject_token and an access_token subject_token_type are required');
    }
    const target = byIndicator.get(params.audience ?? PEER_EXCHANGE.target);
    if (target === undefined || target.audience !== PEER_EXCHANGE.target) throw new errors.InvalidTarget();
    const subject = verifySubject(params.subject_token);
    const subjectScopes = new Set((subject.scope ?? '').split(' '));
    const scope = target.scopes.filter((entry) => subjectScopes.has(entry)).join(' ');
    const iat = Math.floor(Date.now() / 1000);
    const exp = Math.min(iat + target.accessTokenTtl, subject.exp);
    const token = new provider.AccessToken({
      client,
      accountId: subject.sub,
      resourceServer: new provider.ResourceServer(target.resource, resourceServerInfo(target)),
      scope,
      gty: TOKEN_EXCHANGE_GRANT,
      // An exchange belongs to no authorization grant (as in Baton's grant).
      grantId: undefined as unknown as string,
      iat,
      exp,
    });
    ctx.oidc.entity('AccessToken', token);
    const accessToken = await token.save();
    ctx.body = {
      access_token: accessToken,
      issued_token_type: PEER_EXCHANGE.subjectTokenType,
      token_type: 'Bearer',
      expires_in: exp - iat,
      scope,
    };
  },
  ['subject_token', 'subject_token_type', 'audience', 'resource', 'scope', 'requested_token_type', 'actor_token', 'actor_token_type'],
);

const callback = provider.callback();
createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  void callback(request, response);
}).listen(port, '127.0.0.1');
