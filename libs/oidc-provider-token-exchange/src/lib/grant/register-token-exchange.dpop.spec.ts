import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import Provider, { Configuration } from 'oidc-provider';
import { signTestAccessToken, signTestDpopProof, testAccessTokenClaims, testDpopKey, TestDpopKey, testSigningKey } from '../../testing';
import type { TokenExchangeAuditEntry } from '../audit/token-exchange-audit-entry';
import { DpopNonces } from '../dpop/dpop-nonces';
import type { DpopOptions } from '../dpop/token-endpoint-dpop';
import type { TokenExchangePolicy } from '../policy/token-exchange-policy';
import type { ExchangeTarget } from '../targets/exchange-target';
import { toPublicJwks } from '../verification/public-jwks';
import { exchangeTokenClaims } from './exchange-token-claims';
import { registerTokenExchange } from './register-token-exchange';
import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from './token-exchange.constants';

/**
 * DPoP (RFC 9449) on the exchange, as an adopter runs it: a plain oidc-provider with DPoP on, the
 * grant registered, proofs made with jose (not the grant's code) and sent over real HTTP. The
 * issuer is not the listening address: a proof's `htu` must name the token endpoint as the
 * provider is known (`https://op.example/token`), whatever Host the request came with.
 */
const issuer = 'https://op.example';
const TOKEN_URL = `${issuer}/token`;
const key = testSigningKey('ES256');
const targets: ExchangeTarget[] = [
  { audience: 'user-service', resource: 'https://users.example', scopes: ['users.read', 'messages.read'], accessTokenTtl: 600 },
  { audience: 'message-service', resource: 'https://messages.example', scopes: ['messages.read', 'messages.write'], accessTokenTtl: 300 },
];
const basePolicy: TokenExchangePolicy = { subjectAudiences: ['user-service'], targets: ['message-service'], allowActorToken: false, maxActDepth: 1, mode: 'delegation' };
const policies: Record<string, TokenExchangePolicy> = {
  'user-service': basePolicy,
  strict: { ...basePolicy, requireDpop: true },
  orchestrator: { ...basePolicy, allowActorToken: true, maxActDepth: 2 },
};

interface Running {
  tokenEndpoint: string;
  audit: TokenExchangeAuditEntry[];
  server: Server;
}

async function start(options: { dpop?: DpopOptions; providerNonce?: { secret: Buffer; required: boolean } } = {}): Promise<Running> {
  const client = (clientId: string, grantTypes: string[]) => ({
    client_id: clientId,
    client_secret: `${clientId}-secret`,
    grant_types: grantTypes,
    redirect_uris: [],
    response_types: [],
  });
  const configuration: Configuration = {
    clients: [client('user-service', ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE]), client('strict', [TOKEN_EXCHANGE_GRANT_TYPE]), client('orchestrator', [TOKEN_EXCHANGE_GRANT_TYPE]), client('batch-job', ['client_credentials'])],
    jwks: { keys: [key.privateJwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['users.read', 'messages.read', 'messages.write'],
    enabledJWA: { dPoPSigningAlgValues: ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'] },
    features: {
      clientCredentials: { enabled: true },
      dPoP: {
        enabled: true,
        ...(options.providerNonce === undefined
          ? {}
          : { nonceSecret: options.providerNonce.secret, requireNonce: () => options.providerNonce?.required ?? false }),
      },
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
    extraTokenClaims: (_ctx, token) => exchangeTokenClaims(token),
  };
  const provider = new Provider(issuer, configuration);
  const audit: TokenExchangeAuditEntry[] = [];
  registerTokenExchange(provider, {
    policyFor: (clientId) => policies[clientId],
    targets,
    publicJwks: toPublicJwks([key.privateJwk]),
    audit: (entry) => audit.push(entry),
    ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { tokenEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, audit, server };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  nonce: string | null;
}

async function post(running: Running, clientId: string, form: Record<string, string>, proof?: string): Promise<Answer> {
  const response = await fetch(running.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
      ...(proof === undefined ? {} : { dpop: proof }),
    },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, nonce: response.headers.get('dpop-nonce') };
}

const exchangeForm = (subjectToken: string): Record<string, string> => ({
  grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
  subject_token: subjectToken,
  subject_token_type: TokenTypeUri.accessToken,
  audience: 'message-service',
});

const userToken = (claims: Record<string, unknown> = {}): Promise<string> =>
  signTestAccessToken({ key, claims: testAccessTokenClaims(issuer, { scope: 'messages.read', ...claims }) });

/**
 * oidc-provider checks its own grants' `htu` against the URL the request reached (its Host
 * header), where the exchange uses the issuer; behind Baton's auth server the two are the same.
 */
const providerProofFor = (running: Running, dpopKey: TestDpopKey, nonce?: string): Promise<string> =>
  signTestDpopProof({ key: dpopKey, method: 'POST', url: running.tokenEndpoint, ...(nonce === undefined ? {} : { nonce }) });

const proofFor = (dpopKey: TestDpopKey, extra: Partial<Parameters<typeof signTestDpopProof>[0]> = {}): Promise<string> =>
  signTestDpopProof({ key: dpopKey, method: 'POST', url: TOKEN_URL, ...extra });

async function expectBoundTo(accessToken: string, dpopKey: TestDpopKey): Promise<void> {
  const { payload } = await jwtVerify(accessToken, createLocalJWKSet({ keys: toPublicJwks([key.privateJwk]) }), {
    issuer,
    audience: 'message-service',
    typ: 'at+jwt',
  });
  expect(payload['cnf']).toEqual({ jkt: await calculateJwkThumbprint(dpopKey.publicJwk as Parameters<typeof calculateJwkThumbprint>[0]) });
}

describe('the exchange with DPoP proofs (no server nonces)', () => {
  let running: Running;
  const serviceKey = testDpopKey('ES256');

  beforeAll(async () => {
    running = await start();
  });

  afterAll(() => {
    running.server.close();
  });

  beforeEach(() => {
    running.audit.length = 0;
  });

  it.each(['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'] as const)('binds the issued token to a %s proof key: cnf.jkt is its thumbprint, token_type DPoP', async (alg) => {
    const dpopKey = alg === 'ES256' ? serviceKey : testDpopKey(alg);
    const answer = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(dpopKey));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'DPoP', issued_token_type: TokenTypeUri.accessToken, scope: 'messages.read' });
    await expectBoundTo(answer.body['access_token'] as string, dpopKey);
    const thumbprint = await calculateJwkThumbprint(dpopKey.publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
    expect(running.audit).toEqual([expect.objectContaining({ result: 'granted', dpopJkt: thumbprint })]);
    // Without nonces configured, none is offered.
    expect(answer.nonce).toBeNull();
  });

  it('still issues a bearer token without a proof to a client whose policy does not require DPoP', async () => {
    const answer = await post(running, 'user-service', exchangeForm(await userToken()));
    expect(answer.status).toBe(200);
    expect(answer.body['token_type']).toBe('Bearer');
    expect(decodeJwt(answer.body['access_token'] as string)['cnf']).toBeUndefined();
  });

  it('refuses an exchange without a proof when the policy says requireDpop: 400 invalid_dpop_proof, audited', async () => {
    const answer = await post(running, 'strict', exchangeForm(await userToken({ aud: 'user-service' })));
    expect(answer).toMatchObject({
      status: 400,
      body: { error: 'invalid_dpop_proof', error_description: 'this client must send a DPoP proof with every exchange' },
    });
    expect(running.audit).toEqual([expect.objectContaining({ result: 'refused', client: 'strict', error: 'invalid_dpop_proof' })]);
  });

  it('grants the requireDpop client when it sends a proof', async () => {
    const answer = await post(running, 'strict', exchangeForm(await userToken()), await proofFor(serviceKey));
    expect(answer.status).toBe(200);
    await expectBoundTo(answer.body['access_token'] as string, serviceKey);
  });

  const now = (): number => Math.floor(Date.now() / 1000);
  const otherKey = testDpopKey('ES256');

  it.each<[string, () => Promise<string>, string]>([
    ['a signature by another key than its jwk', async () => signTestDpopProof({ key: { ...serviceKey, privateKey: otherKey.privateKey }, method: 'POST', url: TOKEN_URL }), 'DPoP proof signature is invalid'],
    ['typ JWT', () => proofFor(serviceKey, { header: { typ: 'JWT' } }), 'DPoP proof typ must be dpop+jwt'],
    ['no typ', () => proofFor(serviceKey, { header: { typ: undefined } }), 'DPoP proof typ must be dpop+jwt'],
    ['a private key in its jwk', () => proofFor(serviceKey, { header: { jwk: { ...serviceKey.privateKey.export({ format: 'jwk' }) } } }), 'DPoP proof jwk must be a public key'],
    ['no jwk', () => proofFor(serviceKey, { header: { jwk: undefined } }), 'DPoP proof has no jwk header'],
    ['htm GET', () => proofFor(serviceKey, { method: 'GET' }), 'DPoP proof htm mismatch'],
    ['htu of the listening address (the Host header), not the issuer', async () => proofFor(serviceKey, { url: running.tokenEndpoint }), 'DPoP proof htu mismatch'],
    ['htu of another endpoint', () => proofFor(serviceKey, { url: `${issuer}/token/other` }), 'DPoP proof htu mismatch'],
    ['iat 2 minutes ago', () => proofFor(serviceKey, { iat: now() - 120 }), 'DPoP proof iat is not recent enough'],
    ['iat 2 minutes ahead', () => proofFor(serviceKey, { iat: now() + 120 }), 'DPoP proof iat is not recent enough'],
    ['no jti', () => proofFor(serviceKey, { claims: { jti: undefined } }), 'DPoP proof must have a jti string'],
    ['a nonce, which this server never issued', () => proofFor(serviceKey, { nonce: 'made-up' }), 'DPoP nonces are not supported'],
    ['two proofs in one header', async () => `${await proofFor(serviceKey)}, ${await proofFor(serviceKey)}`, 'DPoP proof is not a compact JWS'],
  ])('refuses a proof with %s: 400 invalid_dpop_proof', async (_case, makeProof, description) => {
    const answer = await post(running, 'user-service', exchangeForm(await userToken()), await makeProof());
    expect(answer).toEqual({ status: 400, body: { error: 'invalid_dpop_proof', error_description: description }, nonce: null });
    expect(running.audit).toEqual([expect.objectContaining({ result: 'refused', error: 'invalid_dpop_proof', errorDescription: description })]);
  });

  it('accepts an htu that differs only by case, default port, query and fragment (RFC 3986 normalisation)', async () => {
    const answer = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(serviceKey, { url: 'HTTPS://OP.Example:443/token?x=1#y' }));
    expect(answer.status).toBe(200);
  });

  it('refuses a replayed proof: the second use of a jti is 400 invalid_dpop_proof', async () => {
    const proof = await proofFor(serviceKey);
    expect((await post(running, 'user-service', exchangeForm(await userToken()), proof)).status).toBe(200);
    const replayed = await post(running, 'user-service', exchangeForm(await userToken()), proof);
    expect(replayed).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'DPoP proof JWT replay detected' } });
  });

  it("refuses a jti already used on oidc-provider's own grant (one replay record for the token endpoint)", async () => {
    const jti = `shared-${Date.now()}`;
    const clientCredentials = await post(
      running,
      'user-service',
      { grant_type: 'client_credentials', resource: 'https://users.example', scope: 'messages.read' },
      await signTestDpopProof({ key: serviceKey, method: 'POST', url: running.tokenEndpoint, jti }),
    );
    expect(clientCredentials.body['token_type']).toBe('DPoP');
    const replayed = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(serviceKey, { jti }));
    expect(replayed).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'DPoP proof JWT replay detected' } });
  });

  describe('a DPoP-bound subject token', () => {
    /** batch-job's own client_credentials token, bound by oidc-provider to batch-job's key. */
    const batchKey = testDpopKey('ES256');
    let boundSubject: string;

    beforeAll(async () => {
      const issued = await post(running, 'batch-job', { grant_type: 'client_credentials', resource: 'https://users.example', scope: 'messages.read' }, await providerProofFor(running, batchKey));
      expect(issued.body['token_type']).toBe('DPoP');
      boundSubject = issued.body['access_token'] as string;
      expect(decodeJwt(boundSubject)['cnf']).toEqual({ jkt: expect.any(String) });
    });

    it('is exchanged with a proof of the same key, and the issued token stays bound to it', async () => {
      const answer = await post(running, 'user-service', exchangeForm(boundSubject), await proofFor(batchKey));
      expect(answer.status).toBe(200);
      expect(answer.body['token_type']).toBe('DPoP');
      await expectBoundTo(answer.body['access_token'] as string, batchKey);
    });

    it('is refused without a proof (never laundered into a bearer token): 400 invalid_dpop_proof', async () => {
      const answer = await post(running, 'user-service', exchangeForm(boundSubject));
      expect(answer).toMatchObject({
        status: 400,
        body: { error: 'invalid_dpop_proof', error_description: 'subject_token is DPoP-bound: the request must carry a DPoP proof of its key' },
      });
      expect(answer.body['access_token']).toBeUndefined();
    });

    it("is refused with a valid proof of another key: 400 invalid_dpop_proof", async () => {
      const answer = await post(running, 'user-service', exchangeForm(boundSubject), await proofFor(serviceKey));
      expect(answer).toMatchObject({
        status: 400,
        body: { error: 'invalid_dpop_proof', error_description: "the DPoP proof's key is not the one subject_token is bound to (cnf.jkt)" },
      });
    });

    it('as actor_token: accepted with a proof of its key, refused with another key', async () => {
      const actorKey = testDpopKey('ES256');
      const actorThumbprint = await calculateJwkThumbprint(actorKey.publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
      const form = async (): Promise<Record<string, string>> => ({
        ...exchangeForm(await userToken({ may_act: { sub: 'batch-job' } })),
        actor_token: await userToken({ sub: 'batch-job', cnf: { jkt: actorThumbprint } }),
        actor_token_type: TokenTypeUri.accessToken,
      });
      const granted = await post(running, 'orchestrator', await form(), await proofFor(actorKey));
      expect([granted.status, granted.body['token_type']]).toEqual([200, 'DPoP']);
      await expectBoundTo(granted.body['access_token'] as string, actorKey);

      const refused = await post(running, 'orchestrator', await form(), await proofFor(serviceKey));
      expect(refused).toMatchObject({
        status: 400,
        body: { error: 'invalid_dpop_proof', error_description: "the DPoP proof's key is not the one actor_token is bound to (cnf.jkt)" },
      });
    });

    it('bound by another method (cnf x5t#S256) is refused as before: 400 invalid_request', async () => {
      const mtlsBound = await userToken({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } });
      const answer = await post(running, 'user-service', exchangeForm(mtlsBound), await proofFor(serviceKey));
      expect(answer).toMatchObject({
        status: 400,
        body: { error: 'invalid_request', error_description: 'subject_token is sender-constrained by a method other than DPoP (cnf): it cannot be exchanged' },
      });
    });
  });
});

describe('the exchange with server nonces (RFC 9449 §8), the same secret as the provider', () => {
  const secret = randomBytes(32);
  const serviceKey = testDpopKey('ES256');
  let running: Running;

  beforeAll(async () => {
    running = await start({ dpop: { nonceSecret: secret, requireNonce: true }, providerNonce: { secret, required: true } });
  });

  afterAll(() => {
    running.server.close();
  });

  it('answers a proof without a nonce 400 use_dpop_nonce with DPoP-Nonce; the retry with it is granted, with a fresh DPoP-Nonce', async () => {
    const first = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(serviceKey));
    expect(first.status).toBe(400);
    expect(first.body).toEqual({ error: 'use_dpop_nonce', error_description: 'nonce is required in the DPoP proof' });
    expect(first.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const retry = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(serviceKey, { nonce: first.nonce as string }));
    expect(retry.status).toBe(200);
    expect(retry.body['token_type']).toBe('DPoP');
    expect(retry.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each<[string, () => string]>([
    ['forged', () => 'bm90LWEtbm9uY2UtdGhpcy1zZXJ2ZXItaXNzdWVkLTEyMw'],
    ['made with another secret', () => new DpopNonces(randomBytes(32)).next()],
    ['stale (issued ten minutes ago)', () => new DpopNonces(secret, () => Math.floor(Date.now() / 1000) - 600).next()],
  ])('refuses a %s nonce: 400 use_dpop_nonce with a fresh DPoP-Nonce', async (_case, nonce) => {
    const answer = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(serviceKey, { nonce: nonce() }));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'use_dpop_nonce', error_description: 'invalid nonce in DPoP proof' });
    expect(new DpopNonces(secret).accepts(answer.nonce as string)).toBe(true);
  });

  it('answers an old iat with use_dpop_nonce rather than invalid_dpop_proof when nonces are on', async () => {
    const answer = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(serviceKey, { iat: Math.floor(Date.now() / 1000) - 120 }));
    expect(answer.status).toBe(400);
    expect(answer.body['error']).toBe('use_dpop_nonce');
    expect(answer.nonce).not.toBeNull();
  });

  it("accepts a nonce oidc-provider itself issued on client_credentials (the same scheme), and the provider accepts the grant's", async () => {
    const ask = await post(running, 'user-service', { grant_type: 'client_credentials', resource: 'https://users.example' }, await providerProofFor(running, serviceKey));
    expect([ask.status, ask.body['error']]).toEqual([400, 'use_dpop_nonce']);
    const providerNonce = ask.nonce as string;
    const exchanged = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(serviceKey, { nonce: providerNonce }));
    expect(exchanged.status).toBe(200);

    const grantNonce = exchanged.nonce as string;
    const clientCredentials = await post(running, 'user-service', { grant_type: 'client_credentials', resource: 'https://users.example' }, await providerProofFor(running, serviceKey, grantNonce));
    expect([clientCredentials.status, clientCredentials.body['token_type']]).toEqual([200, 'DPoP']);
  });
});

describe('DPoP options', () => {
  it('refuses requireNonce without a nonce secret at registration', async () => {
    await expect(start({ dpop: { requireNonce: true } })).rejects.toThrow('dpop.requireNonce needs dpop.nonceSecret');
  });

  it('refuses an algorithm left out of dpop.algorithms, naming the accepted ones', async () => {
    const running = await start({ dpop: { algorithms: ['ES256'] } });
    try {
      const answer = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(testDpopKey('EdDSA')));
      expect(answer.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'DPoP proof alg must be one of ES256' });
    } finally {
      running.server.close();
    }
  });

  it('takes a wider iat window', async () => {
    const running = await start({ dpop: { iatWindow: 300 } });
    try {
      const answer = await post(running, 'user-service', exchangeForm(await userToken()), await proofFor(testDpopKey(), { iat: Math.floor(Date.now() / 1000) - 120 }));
      expect(answer.status).toBe(200);
    } finally {
      running.server.close();
    }
  });
});
