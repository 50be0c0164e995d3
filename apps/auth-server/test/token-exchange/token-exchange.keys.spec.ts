import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { claimsOf, ExchangeFixture, headerOf } from './support/exchange-fixture';

// A real auth server process per file, on a shared machine: no verdict may hang on its speed.
jest.setTimeout(60_000);

/**
 * Subject tokens are verified against every key of the JWKS, not just the signing one: a token
 * signed before a key rotation (here an RS256 key now published for verification only) still
 * exchanges, and the new token is signed with the current key.
 */
describe('token exchange across a key rotation', () => {
  const previous = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  let fixture: ExchangeFixture;

  beforeAll(async () => {
    fixture = await ExchangeFixture.start({ previousKeys: [{ kid: 'previous', alg: 'RS256', privateKey: previous }] });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  function signedWithPrevious(alg: 'RS256' | 'PS256'): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'message.read', client_id: 'demo-app', jti: 'before-rotation' })
      .setProtectedHeader({ alg, kid: 'previous', typ: 'at+jwt' })
      .setIssuer(fixture.issuer)
      .setSubject('bob')
      .setAudience('user-service')
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .sign(previous);
  }

  it('accepts a subject token signed with the previous (RS256) key and issues an ES256 token', async () => {
    const { status, body } = await fixture.exchange({ subject_token: await signedWithPrevious('RS256'), audience: 'message-service' });

    expect(status).toBe(200);
    const issued = body['access_token'] as string;
    expect(headerOf(issued)).toMatchObject({ alg: 'ES256', kid: fixture.signingKid, typ: 'at+jwt' });
    expect(claimsOf(issued)).toMatchObject({ sub: 'bob', aud: 'message-service', scope: 'message.read', act: { sub: 'user-service' } });
  });

  it('refuses the previous key used with another algorithm than its own', async () => {
    const { status, body } = await fixture.exchange({ subject_token: await signedWithPrevious('PS256'), audience: 'message-service' });
    expect({ status, error: body['error'], description: body['error_description'] }).toEqual({
      status: 400,
      error: 'invalid_request',
      description: 'subject_token is not signed by a key of this server (kid and alg do not match)',
    });
  });
});
