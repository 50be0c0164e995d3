import { createHash } from 'node:crypto';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import { signTestDpopProof, testDpopKey, TestDpopKey } from '@baton/oidc-provider-token-exchange/testing';
import { tokenEndpointProof, USER_SERVICE_DPOP_KEY } from '../support/dpop-proof';
import { InProcessAuthServer, jwtPayload, startInProcess } from '../support/in-process-auth-server';
import { FormReply, postForm, signInForCode, USER_SERVICE } from './support/oauth-forms';

jest.setTimeout(60_000);

/** RFC 7638 thumbprint of a test key, computed here independently of the server. */
function thumbprintOf(key: TestDpopKey): string {
  const { crv, kty, x, y } = key.publicJwk as { crv: string; kty: string; x: string; y: string };
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

const exchangeForm = (subjectToken: string): Record<string, string> => ({
  grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
  subject_token: subjectToken,
  subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  audience: 'message-service',
});

/**
 * DPoP (RFC 9449) at the auth server with the demo configuration, over real HTTP: discovery
 * advertises it, the demo's user-service (requireDpop) exchanges only with a proof and gets a
 * bound token, the seed's client_credentials walkthrough stays a bearer token, and the built-in
 * grants bind too.
 */
describe('auth server with DPoP (demo configuration)', () => {
  let server: InProcessAuthServer;
  const token = (form: Record<string, string>, proof?: string, basic = USER_SERVICE): Promise<FormReply> =>
    postForm(server.baseUrl, '/oauth2/token', form, basic, proof === undefined ? {} : { dpop: proof });

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(async () => {
    await server.close();
  });

  it('advertises dpop_signing_alg_values_supported in discovery', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const discovery = (await (await fetch(`${server.baseUrl}${path}`)).json()) as Record<string, unknown>;
      expect(discovery['dpop_signing_alg_values_supported']).toEqual(['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256']);
    }
  });

  it("keeps the seed's client_credentials walkthrough a bearer token, and binds it when a proof is sent", async () => {
    const bearer = await token({ grant_type: 'client_credentials' });
    expect([bearer.status, bearer.body?.['token_type']]).toEqual([200, 'Bearer']);
    expect(jwtPayload(String(bearer.body?.['access_token']))['cnf']).toBeUndefined();

    const bound = await token({ grant_type: 'client_credentials' }, await tokenEndpointProof(server.baseUrl));
    expect([bound.status, bound.body?.['token_type']]).toEqual([200, 'DPoP']);
    expect(jwtPayload(String(bound.body?.['access_token']))['cnf']).toEqual({ jkt: thumbprintOf(USER_SERVICE_DPOP_KEY) });
  });

  it('refuses a client_credentials proof with a bad signature: 400 invalid_dpop_proof', async () => {
    const other = testDpopKey();
    const forged = await signTestDpopProof({ key: { ...USER_SERVICE_DPOP_KEY, privateKey: other.privateKey }, method: 'POST', url: `${server.baseUrl}/oauth2/token` });
    const refused = await token({ grant_type: 'client_credentials' }, forged);
    expect([refused.status, refused.body]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'DPoP proof signature is invalid' }]);
  });

  it("refuses the demo user-service's exchange without a proof: 400 invalid_dpop_proof (requireDpop)", async () => {
    const alice = await signInAndRedeem();
    const refused = await token(exchangeForm(alice));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'this client must send a DPoP proof with every exchange' });
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  it("binds the demo user-service's exchanged token to its key: cnf.jkt, token_type DPoP, act kept", async () => {
    const alice = await signInAndRedeem();
    const exchanged = await token(exchangeForm(alice), await tokenEndpointProof(server.baseUrl));
    expect(exchanged.status).toBe(200);
    expect(exchanged.body?.['token_type']).toBe('DPoP');
    expect(jwtPayload(String(exchanged.body?.['access_token']))).toMatchObject({
      sub: 'alice',
      aud: 'message-service',
      act: { sub: 'user-service' },
      cnf: { jkt: thumbprintOf(USER_SERVICE_DPOP_KEY) },
    });
  });

  it("introspects the bound token as RFC 9449 §6.2 says: token_type DPoP and cnf.jkt (message-service's view)", async () => {
    const alice = await signInAndRedeem();
    const exchanged = await token(exchangeForm(alice), await tokenEndpointProof(server.baseUrl));
    const introspected = await postForm(
      server.baseUrl,
      '/oauth2/introspect',
      { token: String(exchanged.body?.['access_token']) },
      { id: 'message-service', secret: 'token' },
    );
    expect(introspected.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: thumbprintOf(USER_SERVICE_DPOP_KEY) } });
    const bearer = await token({ grant_type: 'client_credentials' });
    const plain = await postForm(server.baseUrl, '/oauth2/introspect', { token: String(bearer.body?.['access_token']) }, USER_SERVICE);
    expect(plain.body).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(plain.body).not.toHaveProperty('cnf');
  });

  it('checks htu against the issuer, not the Host the request names: a proof for another host is refused', async () => {
    const alice = await signInAndRedeem();
    const proof = await signTestDpopProof({ key: USER_SERVICE_DPOP_KEY, method: 'POST', url: server.baseUrl.replace('127.0.0.1', 'localhost') + '/oauth2/token' });
    const refused = await token(exchangeForm(alice), proof);
    expect([refused.status, refused.body?.['error'], refused.body?.['error_description']]).toEqual([400, 'invalid_dpop_proof', 'DPoP proof htu mismatch']);
  });

  it('refuses a proof replayed on a second exchange: 400 invalid_dpop_proof', async () => {
    const alice = await signInAndRedeem();
    const proof = await tokenEndpointProof(server.baseUrl);
    expect((await token(exchangeForm(alice), proof)).status).toBe(200);
    const replayed = await token(exchangeForm(alice), proof);
    expect([replayed.status, replayed.body]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'DPoP proof JWT replay detected' }]);
  });

  it("exchanges user-service's own DPoP-bound token only with a proof of that key, and the result stays bound", async () => {
    const own = await token({ grant_type: 'client_credentials', scope: 'message.read' }, await tokenEndpointProof(server.baseUrl));
    const boundSubject = String(own.body?.['access_token']);

    const same = await token(exchangeForm(boundSubject), await tokenEndpointProof(server.baseUrl));
    expect([same.status, same.body?.['token_type']]).toEqual([200, 'DPoP']);
    expect(jwtPayload(String(same.body?.['access_token']))['cnf']).toEqual({ jkt: thumbprintOf(USER_SERVICE_DPOP_KEY) });

    const otherKey = testDpopKey();
    const other = await token(exchangeForm(boundSubject), await tokenEndpointProof(server.baseUrl, { key: otherKey }));
    expect([other.status, other.body]).toEqual([
      400,
      { error: 'invalid_dpop_proof', error_description: "the DPoP proof's key is not the one subject_token is bound to (cnf.jkt)" },
    ]);
  });

  it("binds demo-app's authorization_code and refresh_token tokens with a proof (oidc-provider's own grants)", async () => {
    const demoAppKey = testDpopKey('EdDSA');
    const issued = await signInForCode(server.baseUrl, 'alice', 'alice-password');
    const redeemed = await postForm(
      server.baseUrl,
      '/oauth2/token',
      { grant_type: 'authorization_code', code: issued.code, redirect_uri: issued.redirectUri, client_id: 'demo-app', code_verifier: issued.verifier },
      undefined,
      { dpop: await tokenEndpointProof(server.baseUrl, { key: demoAppKey }) },
    );
    expect([redeemed.status, redeemed.body?.['token_type']]).toEqual([200, 'DPoP']);
    expect(jwtPayload(String(redeemed.body?.['access_token']))['cnf']).toEqual({ jkt: expect.any(String) });

    // A public client's refresh token is bound to the key too: refreshed with a proof of it only.
    const refreshToken = String(redeemed.body?.['refresh_token']);
    const refreshForm = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' };
    const withOtherKey = await postForm(server.baseUrl, '/oauth2/token', refreshForm, undefined, { dpop: await tokenEndpointProof(server.baseUrl, { key: testDpopKey() }) });
    expect([withOtherKey.status, withOtherKey.body?.['error']]).toEqual([400, 'invalid_grant']);
    const refreshed = await postForm(server.baseUrl, '/oauth2/token', refreshForm, undefined, { dpop: await tokenEndpointProof(server.baseUrl, { key: demoAppKey }) });
    expect([refreshed.status, refreshed.body?.['token_type']]).toEqual([200, 'DPoP']);
  });

  async function signInAndRedeem(): Promise<string> {
    const issued = await signInForCode(server.baseUrl, 'alice', 'alice-password');
    const redeemed = await postForm(server.baseUrl, '/oauth2/token', {
      grant_type: 'authorization_code',
      code: issued.code,
      redirect_uri: issued.redirectUri,
      client_id: 'demo-app',
      code_verifier: issued.verifier,
    });
    expect(redeemed.status).toBe(200);
    return String(redeemed.body?.['access_token']);
  }
});

describe('auth server with AUTH_SERVER_DPOP_REQUIRE_NONCE=true', () => {
  let server: InProcessAuthServer;
  const token = (form: Record<string, string>, proof: string): Promise<FormReply> =>
    postForm(server.baseUrl, '/oauth2/token', form, USER_SERVICE, { dpop: proof });

  beforeAll(async () => {
    server = await startInProcess({ AUTH_SERVER_DPOP_REQUIRE_NONCE: 'true' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers a proof without a nonce 400 use_dpop_nonce with DPoP-Nonce, on the exchange and on client_credentials', async () => {
    const subject = String((await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE)).body?.['access_token']);
    for (const form of [exchangeForm(subject), { grant_type: 'client_credentials' }]) {
      const refused = await token(form, await tokenEndpointProof(server.baseUrl));
      expect([refused.status, refused.body?.['error']]).toEqual([400, 'use_dpop_nonce']);
      expect(refused.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it("accepts a nonce from any grant on the others (one scheme and secret with oidc-provider's), and refuses a forged one", async () => {
    const subject = String((await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE)).body?.['access_token']);
    const asked = await token({ grant_type: 'client_credentials' }, await tokenEndpointProof(server.baseUrl));
    const nonce = String(asked.headers.get('dpop-nonce'));

    const exchanged = await token(exchangeForm(subject), await tokenEndpointProof(server.baseUrl, { nonce }));
    expect([exchanged.status, exchanged.body?.['token_type']]).toEqual([200, 'DPoP']);
    expect(exchanged.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // demo-app's code redeemed by oidc-provider's own grant with the exchange's nonce.
    const issued = await signInForCode(server.baseUrl, 'alice', 'alice-password');
    const redeemed = await postForm(
      server.baseUrl,
      '/oauth2/token',
      { grant_type: 'authorization_code', code: issued.code, redirect_uri: issued.redirectUri, client_id: 'demo-app', code_verifier: issued.verifier },
      undefined,
      { dpop: await tokenEndpointProof(server.baseUrl, { key: testDpopKey(), nonce: String(exchanged.headers.get('dpop-nonce')) }) },
    );
    expect([redeemed.status, redeemed.body?.['token_type']]).toEqual([200, 'DPoP']);

    const forged = await token(exchangeForm(subject), await tokenEndpointProof(server.baseUrl, { nonce: 'A'.repeat(43) }));
    expect([forged.status, forged.body]).toEqual([400, { error: 'use_dpop_nonce', error_description: 'invalid nonce in DPoP proof' }]);
    expect(forged.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('auth server with AUTH_SERVER_INTERNAL_URLS (services call it by another name inside the network)', () => {
  const INTERNAL = 'http://auth-server.internal:9001';
  let server: InProcessAuthServer;
  const token = (form: Record<string, string>, proof: string): Promise<FormReply> =>
    postForm(server.baseUrl, '/oauth2/token', form, USER_SERVICE, { dpop: proof });
  const proofFor = (url: string): Promise<string> => signTestDpopProof({ key: USER_SERVICE_DPOP_KEY, method: 'POST', url });

  beforeAll(async () => {
    server = await startInProcess({ AUTH_SERVER_INTERNAL_URLS: `${INTERNAL}, http://balancer:9001` });
  });

  afterAll(async () => {
    await server.close();
  });

  it('accepts a proof naming the token endpoint under a listed internal URL, and still the issuer one', async () => {
    const subject = String((await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE)).body?.['access_token']);
    for (const url of [`${INTERNAL}/oauth2/token`, 'http://balancer:9001/oauth2/token', `${server.baseUrl}/oauth2/token`]) {
      const exchanged = await token(exchangeForm(subject), await proofFor(url));
      expect([url, exchanged.status, exchanged.body?.['token_type']]).toEqual([url, 200, 'DPoP']);
    }
    const credentials = await token({ grant_type: 'client_credentials' }, await proofFor(`${INTERNAL}/oauth2/token`));
    expect([credentials.status, credentials.body?.['token_type']]).toEqual([200, 'DPoP']);
  });

  it('refuses a proof naming an unlisted host, another path under a listed one, or a listed one with another scheme: 400 invalid_dpop_proof', async () => {
    const subject = String((await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE)).body?.['access_token']);
    for (const url of ['http://attacker.example:9001/oauth2/token', `${INTERNAL}/oauth2/introspect`, 'https://auth-server.internal:9001/oauth2/token']) {
      const refused = await token(exchangeForm(subject), await proofFor(url));
      expect([url, refused.status, refused.body?.['error'], refused.body?.['error_description']]).toEqual([url, 400, 'invalid_dpop_proof', 'DPoP proof htu mismatch']);
    }
  });
});
