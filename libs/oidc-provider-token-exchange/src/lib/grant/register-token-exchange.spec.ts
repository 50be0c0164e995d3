import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import Provider, { Configuration } from 'oidc-provider';
import { signTestAccessToken, testAccessTokenClaims, testSigningKey } from '../../testing';
import type { TokenExchangeAuditEntry } from '../audit/token-exchange-audit-entry';
import type { TokenExchangePolicy } from '../policy/token-exchange-policy';
import type { ExchangeTarget } from '../targets/exchange-target';
import { toPublicJwks } from '../verification/public-jwks';
import { exchangeTokenClaims } from './exchange-token-claims';
import { registerTokenExchange } from './register-token-exchange';
import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from './token-exchange.constants';

/**
 * The package as an adopter uses it: a plain oidc-provider (no Nest), the grant registered with
 * one call, exchanges sent over real HTTP to its token endpoint.
 */
const issuer = 'https://op.example';
const key = testSigningKey('ES256');
const targets: ExchangeTarget[] = [
  { audience: 'user-service', resource: 'https://users.example', scopes: ['users.read', 'messages.read'], accessTokenTtl: 600 },
  { audience: 'message-service', resource: 'https://messages.example', scopes: ['messages.read', 'messages.write'], accessTokenTtl: 300 },
];
const policies: Record<string, TokenExchangePolicy> = {
  'user-service': { subjectAudiences: ['user-service'], targets: ['message-service'], allowActorToken: false, maxActDepth: 1, mode: 'delegation' },
};

function configuration(withActClaims: boolean): Configuration {
  const secretClient = (clientId: string, grantTypes: string[]) => ({
    client_id: clientId,
    client_secret: `${clientId}-secret`,
    grant_types: grantTypes,
    redirect_uris: [],
    response_types: [],
  });
  return {
    clients: [
      secretClient('user-service', ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE]),
      secretClient('batch-job', ['client_credentials']),
      secretClient('no-policy', [TOKEN_EXCHANGE_GRANT_TYPE]),
    ],
    jwks: { keys: [key.privateJwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['users.read', 'messages.read', 'messages.write'],
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'https://users.example',
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          const target = targets.find((candidate) => candidate.resource === indicator);
          if (target === undefined) throw new Error('unknown resource');
          return { audience: target.audience, scope: target.scopes.join(' '), accessTokenFormat: 'jwt', accessTokenTTL: target.accessTokenTtl };
        },
      },
    },
    ...(withActClaims ? { extraTokenClaims: (_ctx, token) => exchangeTokenClaims(token) } : {}),
  };
}

interface Running {
  tokenEndpoint: string;
  audit: TokenExchangeAuditEntry[];
  server: Server;
}

async function start(withActClaims = true): Promise<Running> {
  const provider = new Provider(issuer, configuration(withActClaims));
  const audit: TokenExchangeAuditEntry[] = [];
  registerTokenExchange(provider, {
    policyFor: (clientId) => policies[clientId],
    targets,
    publicJwks: toPublicJwks([key.privateJwk]),
    audit: (entry) => audit.push(entry),
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { tokenEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, audit, server };
}

async function post(
  running: Running,
  clientId: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(running.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
    },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const exchangeForm = (subjectToken: string, extra: Record<string, string> = {}): Record<string, string> => ({
  grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
  subject_token: subjectToken,
  subject_token_type: TokenTypeUri.accessToken,
  audience: 'message-service',
  ...extra,
});

describe('registerTokenExchange on a plain oidc-provider', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start();
  });

  afterAll(() => {
    running.server.close();
  });

  beforeEach(() => {
    running.audit.length = 0;
  });

  it("exchanges the provider's own token for another audience, with act, and audits it once", async () => {
    const subject = await post(running, 'batch-job', { grant_type: 'client_credentials', resource: 'https://users.example', scope: 'users.read messages.read' });
    expect(subject.status).toBe(200);
    const subjectToken = subject.body['access_token'] as string;

    const exchanged = await post(running, 'user-service', exchangeForm(subjectToken));

    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toEqual({
      access_token: expect.any(String),
      issued_token_type: TokenTypeUri.accessToken,
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      scope: 'messages.read',
    });
    const { payload, protectedHeader } = await jwtVerify(
      exchanged.body['access_token'] as string,
      createLocalJWKSet({ keys: toPublicJwks([key.privateJwk]) }),
      { issuer, audience: 'message-service', typ: 'at+jwt' },
    );
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ sub: 'batch-job', client_id: 'user-service', scope: 'messages.read', act: { sub: 'user-service' } });
    expect(payload.exp).toBeLessThanOrEqual(decodeJwt(subjectToken).exp as number);

    expect(running.audit).toEqual([
      expect.objectContaining({
        event: 'token_exchange',
        result: 'granted',
        client: 'user-service',
        subjectSub: 'batch-job',
        fromAudience: 'user-service',
        toAudience: 'message-service',
        scopeGranted: 'messages.read',
        actChain: ['user-service'],
        issuedJti: payload.jti,
      }),
    ]);
    expect(JSON.stringify(running.audit)).not.toContain(subjectToken.split('.')[2]);
  });

  it('exchanges a user token signed with the provider key (the testing entry forges one)', async () => {
    const userToken = await signTestAccessToken({ key, claims: testAccessTokenClaims(issuer, { scope: 'messages.read messages.write' }) });
    const exchanged = await post(running, 'user-service', exchangeForm(userToken, { scope: 'messages.write' }));
    expect(exchanged.status).toBe(200);
    expect(decodeJwt(exchanged.body['access_token'] as string)).toMatchObject({ sub: 'alice', aud: 'message-service', scope: 'messages.write' });
  });

  it.each([
    ['a target nobody registered', { audience: 'billing' }, 'invalid_target', 'audience is not a registered resource server'],
    ['a scope wider than the subject token', { scope: 'messages.write' }, 'invalid_scope', "scope messages.write is wider than the subject token's scope"],
  ])('refuses %s', async (_case, extra, error, description) => {
    const userToken = await signTestAccessToken({ key, claims: testAccessTokenClaims(issuer, { scope: 'messages.read' }) });
    const refused = await post(running, 'user-service', exchangeForm(userToken, extra));
    expect(refused).toEqual({ status: 400, body: { error, error_description: description } });
    expect(running.audit).toEqual([expect.objectContaining({ result: 'refused', error, errorDescription: description, client: 'user-service' })]);
  });

  it('refuses a token the provider did not sign', async () => {
    const forged = await signTestAccessToken({ key: testSigningKey('ES256', key.kid), claims: testAccessTokenClaims(issuer) });
    const refused = await post(running, 'user-service', exchangeForm(forged));
    expect(refused).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'subject_token signature is invalid' } });
  });

  it('refuses a client that has the grant type but no exchange policy: unauthorized_client', async () => {
    const userToken = await signTestAccessToken({ key, claims: testAccessTokenClaims(issuer) });
    const refused = await post(running, 'no-policy', exchangeForm(userToken));
    expect(refused).toEqual({ status: 400, body: { error: 'unauthorized_client', error_description: 'this client has no token-exchange policy' } });
    expect(running.audit).toEqual([expect.objectContaining({ result: 'refused', error: 'unauthorized_client', client: 'no-policy' })]);
  });

  it("audits oidc-provider's own refusals before the grant runs (wrong client secret)", async () => {
    const response = await fetch(running.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('user-service:wrong').toString('base64')}` },
      body: new URLSearchParams(exchangeForm('x.y.z')),
    });
    expect(response.status).toBe(401);
    expect(running.audit).toEqual([expect.objectContaining({ result: 'refused', error: 'invalid_client', client: 'user-service' })]);
  });
});

describe('registerTokenExchange on a provider without exchangeTokenClaims in extraTokenClaims', () => {
  it('answers server_error instead of issuing a delegation token without act', async () => {
    const running = await start(false);
    try {
      const userToken = await signTestAccessToken({ key, claims: testAccessTokenClaims(issuer, { scope: 'messages.read' }) });
      const refused = await post(running, 'user-service', exchangeForm(userToken));
      expect(refused.status).toBe(500);
      expect(refused.body['error']).toBe('server_error');
      expect(refused.body['access_token']).toBeUndefined();
      expect(running.audit).toEqual([expect.objectContaining({ result: 'refused', error: 'server_error' })]);
    } finally {
      running.server.close();
    }
  });
});
