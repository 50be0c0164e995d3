import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from '@baton/dto';
import { AuthServerHarness, startAuthServer } from '@baton/testing';
import { claimsOf, headerOf } from './support/exchange-fixture';

/**
 * Subject tokens are verified against every key of the JWKS, not just the signing one: a token
 * signed before a key rotation (here an RS256 key now published for verification only) still
 * exchanges, and the new token is signed with the current key.
 */
describe('token exchange across a key rotation', () => {
  const current = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const previous = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  let server: AuthServerHarness;

  beforeAll(async () => {
    const keysFile = join(mkdtempSync(join(tmpdir(), 'token-exchange-keys-')), 'keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify({
        keys: [
          { ...current.export({ format: 'jwk' }), kid: 'current', alg: 'ES256', use: 'sig' },
          { ...previous.export({ format: 'jwk' }), kid: 'previous', alg: 'RS256', use: 'sig' },
        ],
      }),
      { mode: 0o600 },
    );
    server = await startAuthServer({ env: { AUTH_SERVER_KEYS_FILE: keysFile, AUTH_SERVER_SIGNING_ALG: 'ES256' } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function exchange(subjectToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.issuer}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
        subject_token: subjectToken,
        subject_token_type: TokenTypeUri.accessToken,
        audience: 'message-service',
      }).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('accepts a subject token signed with the previous (RS256) key and issues an ES256 token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const subject = await new SignJWT({ scope: 'message.read', client_id: 'demo-app', jti: 'before-rotation' })
      .setProtectedHeader({ alg: 'RS256', kid: 'previous', typ: 'at+jwt' })
      .setIssuer(server.issuer)
      .setSubject('bob')
      .setAudience('user-service')
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .sign(previous);

    const { status, body } = await exchange(subject);

    expect(status).toBe(200);
    const issued = body['access_token'] as string;
    expect(headerOf(issued)).toMatchObject({ alg: 'ES256', kid: 'current', typ: 'at+jwt' });
    expect(claimsOf(issued)).toMatchObject({ sub: 'bob', aud: 'message-service', scope: 'message.read', act: { sub: 'user-service' } });
  });

  it('refuses the previous key used with another algorithm than its own', async () => {
    const subject = await new SignJWT({ scope: 'message.read' })
      .setProtectedHeader({ alg: 'PS256', kid: 'previous', typ: 'at+jwt' })
      .setIssuer(server.issuer)
      .setSubject('bob')
      .setAudience('user-service')
      .setExpirationTime('2m')
      .sign(previous);
    const { status, body } = await exchange(subject);
    expect({ status, error: body['error'], description: body['error_description'] }).toEqual({
      status: 400,
      error: 'invalid_request',
      description: 'subject_token is not signed by a key of this server (kid and alg do not match)',
    });
  });
});
