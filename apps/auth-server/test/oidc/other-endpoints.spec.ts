import { authorizationCodeLogin, CookieJar } from '@baton/testing';
import { tokenEndpointProof } from '../support/dpop-proof';
import { InProcessAuthServer, postToken, startInProcess } from '../support/in-process-auth-server';

const USER_SERVICE = { id: 'user-service', secret: 'secret' };

describe('introspect, revoke, userinfo, end_session', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(async () => {
    await server.close();
  });

  async function form(path: string, body: Record<string, string>, basic?: { id: string; secret: string }) {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(basic === undefined ? {} : { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` }),
      },
      body: new URLSearchParams(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  }

  it('introspects a refresh token for the client it was issued to, and revokes it', async () => {
    const tokens = await authorizationCodeLogin({ baseUrl: server.baseUrl, username: 'alice', password: 'alice-password' });
    const refreshToken = tokens.refresh_token ?? '';

    const active = await form('/oauth2/introspect', { token: refreshToken, client_id: 'demo-app' });
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, sub: 'alice', client_id: 'demo-app', scope: 'openid user.read message.read message.write' });

    const revoked = await form('/oauth2/revoke', { token: refreshToken, client_id: 'demo-app' });
    expect(revoked.status).toBe(200);

    const inactive = await form('/oauth2/introspect', { token: refreshToken, client_id: 'demo-app' });
    expect(inactive.body).toEqual({ active: false });
    const refresh = await postToken(server.baseUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' });
    expect(refresh.status).toBe(400);
    expect(refresh.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('requires client authentication at introspection: 401 invalid_client', async () => {
    const { status, body } = await form('/oauth2/introspect', { token: 'x' }, { id: 'user-service', secret: 'wrong' });
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: 'invalid_client' });
  });

  it('introspects JWT access tokens too (test/oidc/introspection.spec.ts has who may see what)', async () => {
    const { body } = await postToken(server.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE);
    const { status, body: introspection } = await form('/oauth2/introspect', { token: body['access_token'] as string }, USER_SERVICE);
    expect(status).toBe(200);
    expect(introspection).toMatchObject({ active: true, sub: 'user-service', client_id: 'user-service', aud: 'user-service', token_type: 'Bearer' });
  });

  it("lets the demo's message-service client (the seed's Spring registration) introspect an exchanged token meant for it", async () => {
    const alice = await authorizationCodeLogin({ baseUrl: server.baseUrl, username: 'alice', password: 'alice-password' });
    const exchanged = await postToken(
      server.baseUrl,
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: alice.access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'message-service',
      },
      USER_SERVICE,
      { dpop: await tokenEndpointProof(server.baseUrl) },
    );
    const token = exchanged.body['access_token'] as string;
    const { status, body } = await form('/oauth2/introspect', { token }, { id: 'message-service', secret: 'token' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ active: true, sub: 'alice', aud: 'message-service', client_id: 'user-service', act: { sub: 'user-service' } });
    // Not meant for message-service: alice's user-service token.
    expect((await form('/oauth2/introspect', { token: alice.access_token }, { id: 'message-service', secret: 'token' })).body).toEqual({ active: false });
  });

  it('still refuses to revoke JWT access tokens (they are verified locally; revoking the grant is what stops them)', async () => {
    const { body } = await postToken(server.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE);
    const { status, body: revocation } = await form('/oauth2/revoke', { token: body['access_token'] as string }, USER_SERVICE);
    expect(status).toBe(400);
    expect(revocation).toEqual({
      error: 'unsupported_token_type',
      error_description: 'Structured JWT Tokens cannot be revoked via the revocation_endpoint',
    });
  });

  it('refuses userinfo without a token: 401 invalid_token with a Bearer and a DPoP challenge (RFC 9449 §7.1)', async () => {
    const response = await fetch(`${server.baseUrl}/oauth2/userinfo`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer realm="${server.config.issuer}", DPoP realm="${server.config.issuer}", algs="ES256 EdDSA ES384 PS256 RS256"`,
    );
    expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'no access token provided' });
  });

  it('asks a signed-in user to confirm signing out (end_session) on a page without script', async () => {
    const jar = new CookieJar();
    await authorizationCodeLogin({ baseUrl: server.baseUrl, username: 'alice', password: 'alice-password', jar });
    const url = `${server.baseUrl}/oauth2/end_session`;
    const response = await fetch(url, { headers: { cookie: jar.header(url) ?? '' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    const page = await response.text();
    expect(page).toContain('id="op.logoutForm"');
    expect(page).not.toContain('<script');
  });
});
