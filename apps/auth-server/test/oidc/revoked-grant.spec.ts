import { GRANT_REFERENCE_CLAIM } from '../../src/oidc/grant-references';
import { InProcessAuthServer, jwtPayload, startInProcess } from '../support/in-process-auth-server';
import { exchangeForMessageService, FormReply, postForm, redeemCode, signInForCode, signOut, USER_SERVICE } from './support/oauth-forms';

const REVOKED = { error: 'invalid_request', error_description: "the subject token's grant was revoked" };

function expectRevoked(reply: FormReply): void {
  expect([reply.status, reply.body]).toEqual([400, REVOKED]);
  expect(reply.headers.get('cache-control')).toBe('no-store');
  expect(reply.headers.get('pragma')).toBe('no-cache');
}

describe('exchanging a user token whose grant was revoked', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(async () => {
    await server.close();
  });

  /** alice signs in; her tokens work for an exchange before anything is revoked. */
  async function aliceSignedIn() {
    const issued = await signInForCode(server.baseUrl, 'alice', 'alice-password');
    const tokens = await redeemCode(server.baseUrl, issued);
    expect(tokens.status).toBe(200);
    const accessToken = String(tokens.body?.['access_token']);
    expect((await exchangeForMessageService(server.baseUrl, accessToken)).status).toBe(200);
    return { issued, accessToken, refreshToken: String(tokens.body?.['refresh_token']) };
  }

  it('carries a sealed grant reference, not the grant id, and none in client_credentials tokens', async () => {
    const { accessToken } = await aliceSignedIn();
    const reference = jwtPayload(accessToken)[GRANT_REFERENCE_CLAIM];
    expect(typeof reference).toBe('string');
    // 12 bytes of IV + a 43-character grant id + 16 bytes of tag, base64url.
    expect(String(reference)).toMatch(/^[A-Za-z0-9_-]{90,}$/);
    // The token an exchange issues carries the user's grant on, so it can be refused downstream too.
    const exchanged = await exchangeForMessageService(server.baseUrl, accessToken);
    expect(jwtPayload(String(exchanged.body?.['access_token']))[GRANT_REFERENCE_CLAIM]).toBe(reference);
    const service = await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE);
    expect(jwtPayload(String(service.body?.['access_token']))).not.toHaveProperty(GRANT_REFERENCE_CLAIM);
  });

  it('[H06] after a code replay: 400 invalid_request, the grant was revoked', async () => {
    const { issued, accessToken } = await aliceSignedIn();
    const replay = await redeemCode(server.baseUrl, issued);
    expect([replay.status, replay.body?.['error']]).toEqual([400, 'invalid_grant']);
    expectRevoked(await exchangeForMessageService(server.baseUrl, accessToken));
  });

  it('[H06] after RFC 7009 revocation of the refresh token: 400 invalid_request, the grant was revoked', async () => {
    const { accessToken, refreshToken } = await aliceSignedIn();
    const revocation = await postForm(server.baseUrl, '/oauth2/revoke', { token: refreshToken, token_type_hint: 'refresh_token', client_id: 'demo-app' });
    expect(revocation.status).toBe(200);
    expectRevoked(await exchangeForMessageService(server.baseUrl, accessToken));
  });

  it('[H06] after sign-out (end_session): 400 invalid_request, the grant was revoked', async () => {
    const { issued, accessToken } = await aliceSignedIn();
    const signedOut = await signOut(server.baseUrl, issued.jar);
    expect(signedOut.status).toBe(303);
    expectRevoked(await exchangeForMessageService(server.baseUrl, accessToken));
  });

  it("revoking one user's grant leaves another user's tokens exchangeable", async () => {
    const bob = await signInForCode(server.baseUrl, 'bob', 'bob-password');
    const bobTokens = await redeemCode(server.baseUrl, bob);
    const { issued } = await aliceSignedIn();
    expect((await redeemCode(server.baseUrl, issued)).status).toBe(400);
    expect((await exchangeForMessageService(server.baseUrl, String(bobTokens.body?.['access_token']))).status).toBe(200);
  });
});
