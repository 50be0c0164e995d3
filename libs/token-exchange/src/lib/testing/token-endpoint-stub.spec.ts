import { SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { JWT_BEARER_CLIENT_ASSERTION_TYPE, TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from '../token-exchange.constants';
import { DpopKey } from '../dpop/dpop-key';
import { TokenEndpointStub } from './token-endpoint-stub';

/** The stub adopters test against answers as an auth server would, over real HTTP. */
const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let stub: TokenEndpointStub;

beforeEach(async () => {
  stub = await TokenEndpointStub.start({ client: { clientId: 'orders', clientSecret: 's3cret', publicKey: keys.publicKey } });
});

afterEach(() => stub.stop());

const basic = `Basic ${Buffer.from('orders:s3cret').toString('base64')}`;
const exchangeForm = (extra: Record<string, string> = {}) =>
  new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT_TYPE, subject_token: 'a.b.c', subject_token_type: TokenTypeUri.accessToken, ...extra });

function post(form: URLSearchParams, authorization?: string): Promise<Response> {
  return fetch(stub.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(authorization ? { Authorization: authorization } : {}) },
    body: form.toString(),
  });
}

async function assertion(jti = randomUUID()): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer('orders')
    .setSubject('orders')
    .setAudience(stub.tokenEndpoint)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(keys.privateKey);
}

describe('TokenEndpointStub', () => {
  it('publishes its RFC 8414 document naming its token endpoint', async () => {
    const response = await fetch(`${stub.issuer}/.well-known/oauth-authorization-server`);
    expect(await response.json()).toMatchObject({ issuer: stub.issuer, token_endpoint: stub.tokenEndpoint });
  });

  it('grants an authenticated exchange and records it', async () => {
    const response = await post(exchangeForm({ audience: 'billing' }), basic);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ access_token: 'exchanged-1', token_type: 'Bearer', expires_in: 300 });
    expect(stub.exchanges[0]?.form.get('audience')).toBe('billing');
    expect(stub.exchanges[0]?.clientAuthentication).toEqual({ method: 'client_secret_basic', clientId: 'orders' });
  });

  it('answers 401 invalid_client without or with wrong credentials', async () => {
    for (const authorization of [undefined, `Basic ${Buffer.from('orders:wrong').toString('base64')}`]) {
      const response = await post(exchangeForm(), authorization);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('answers 400 unsupported_grant_type and invalid_request as a server would', async () => {
    const wrongGrant = await post(exchangeForm({ grant_type: 'token-exchange' }), basic);
    expect(wrongGrant.status).toBe(400);
    expect(await wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const noSubject = await post(new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT_TYPE }), basic);
    expect(noSubject.status).toBe(400);
    expect(await noSubject.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('accepts a private_key_jwt assertion once and refuses its replay', async () => {
    const signed = await assertion();
    const form = exchangeForm({ client_id: 'orders', client_assertion_type: JWT_BEARER_CLIENT_ASSERTION_TYPE, client_assertion: signed });
    expect((await post(form)).status).toBe(200);
    const replay = await post(form);
    expect(replay.status).toBe(401);
    expect(stub.exchanges.map((request) => request.clientAuthentication.method)).toEqual(['private_key_jwt', 'none']);
  });
});

describe('TokenEndpointStub with DPoP', () => {
  const key = DpopKey.generate();
  const postWithProof = (proof: string | undefined) =>
    fetch(stub.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic, ...(proof === undefined ? {} : { DPoP: proof }) },
      body: exchangeForm().toString(),
    });

  it('binds with a valid proof, and refuses a missing, misdirected or replayed one with 400 invalid_dpop_proof', async () => {
    stub.requireDpop({ required: true });
    const proof = key.proof({ method: 'POST', url: stub.tokenEndpoint });
    const granted = await postWithProof(proof);
    expect(granted.status).toBe(200);
    expect(((await granted.json()) as { token_type: string }).token_type).toBe('DPoP');
    expect(stub.exchanges[0]?.dpop?.thumbprint).toBe(key.thumbprint);

    for (const refused of [undefined, proof, key.proof({ method: 'GET', url: stub.tokenEndpoint }), key.proof({ method: 'POST', url: `${stub.issuer}/other` })]) {
      const response = await postWithProof(refused);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    }
  });

  it('asks for its nonce with 400 use_dpop_nonce and a DPoP-Nonce header until a proof carries it', async () => {
    stub.requireDpop({ nonce: 'stub-nonce' });
    const refused = await postWithProof(key.proof({ method: 'POST', url: stub.tokenEndpoint }));
    expect(refused.status).toBe(400);
    expect(refused.headers.get('dpop-nonce')).toBe('stub-nonce');
    expect(((await refused.json()) as { error: string }).error).toBe('use_dpop_nonce');
    expect((await postWithProof(key.proof({ method: 'POST', url: stub.tokenEndpoint, nonce: 'stub-nonce' }))).status).toBe(200);
  });
});
