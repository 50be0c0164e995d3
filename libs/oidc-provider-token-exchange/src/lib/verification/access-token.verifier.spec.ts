import { AccessTokenVerifier } from './access-token.verifier';
import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';
import { VerificationKeys, PublicJwk } from './verification-keys';
import {
  signTestAccessToken as signAccessToken,
  testAccessTokenClaims,
  testSigningKey as testKey,
  TestSigningKey as TestKey,
} from '../../testing';

/** A user's token for user-service, with a fixed `jti`. */
function aliceClaims(issuer: string, now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return testAccessTokenClaims(issuer, { jti: 'subject-jti-1', ...overrides }, now);
}

const issuer = 'http://127.0.0.1:9001';
const now = 1_800_000_000;

describe('AccessTokenVerifier', () => {
  let ours: TestKey;
  let jwks: PublicJwk[];
  let verifier: AccessTokenVerifier;

  beforeAll(() => {
    ours = testKey('ES256');
  });

  beforeEach(() => {
    jwks = [ours.publicJwk];
    verifier = new AccessTokenVerifier({ issuer, keys: new VerificationKeys(() => jwks), now: () => now });
  });

  function refusal(token: string, name = 'subject_token'): string {
    try {
      verifier.verify(token, name);
    } catch (error) {
      if (error instanceof TokenExchangeRefusal && error.error === 'invalid_request') {
        expect(error.error_description).not.toContain(token);
        return error.error_description;
      }
      throw error;
    }
    throw new Error('expected a refusal');
  }

  it('returns the claims of a token we signed', async () => {
    const claims = aliceClaims(issuer, now, { act: { sub: 'gateway' }, may_act: { sub: 'user-service' }, grant_ref: 'g1' });
    const token = await signAccessToken({ key: ours, claims });
    expect(verifier.verify(token, 'subject_token')).toEqual({
      kid: ours.kid,
      iss: issuer,
      sub: 'alice',
      aud: ['user-service'],
      clientId: 'demo-app',
      scopes: ['openid', 'user.read', 'message.read', 'message.write'],
      exp: now + 3600,
      iat: now,
      jti: 'subject-jti-1',
      act: { sub: 'gateway' },
      mayAct: { sub: 'user-service' },
      claims,
    });
  });

  it.each(['ES384', 'RS256', 'PS256', 'EdDSA'] as const)('verifies %s signatures with node:crypto', async (alg) => {
    const key = testKey(alg);
    jwks = [ours.publicJwk, key.publicJwk];
    const token = await signAccessToken({ key, claims: aliceClaims(issuer, now) });
    expect(verifier.verify(token, 'subject_token').sub).toBe('alice');
  });

  it('accepts the full media type application/at+jwt (RFC 9068)', async () => {
    const token = await signAccessToken({ key: ours, claims: aliceClaims(issuer, now), header: { typ: 'application/at+jwt' } });
    expect(verifier.verify(token, 'subject_token').sub).toBe('alice');
  });

  it('refuses an expired token, and one expiring this very second', async () => {
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { exp: now - 1 }) }))).toBe(
      'subject_token is expired',
    );
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { exp: now }) }))).toBe(
      'subject_token is expired',
    );
  });

  it('refuses a token without exp', async () => {
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { exp: undefined }) }))).toBe(
      'subject_token has no expiry (exp)',
    );
  });

  it('refuses a token not yet valid (nbf or iat in the future)', async () => {
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { nbf: now + 60 }) }))).toBe(
      'subject_token is not yet valid (nbf)',
    );
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { iat: now + 60 }) }))).toBe(
      'subject_token is not yet valid (iat in the future)',
    );
  });

  it('refuses a badly signed token (payload changed after signing)', async () => {
    const token = await signAccessToken({ key: ours, claims: aliceClaims(issuer, now) });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify(aliceClaims(issuer, now, { sub: 'mallory' }))).toString('base64url');
    expect(refusal(`${header}.${forged}.${signature}`)).toBe('subject_token signature is invalid');
  });

  it('refuses a token signed by another key that reuses our kid', async () => {
    const impostor = testKey('ES256', ours.kid);
    expect(refusal(await signAccessToken({ key: impostor, claims: aliceClaims(issuer, now) }))).toBe(
      'subject_token signature is invalid',
    );
  });

  it('refuses a token signed by a key not in our JWKS', async () => {
    const stranger = testKey('ES256');
    expect(refusal(await signAccessToken({ key: stranger, claims: aliceClaims(issuer, now) }))).toBe(
      'subject_token is not signed by a key of this server (unknown kid)',
    );
  });

  it('refuses a token whose alg does not fit the key (algorithm confusion)', async () => {
    const rsa = testKey('RS256');
    jwks = [ours.publicJwk, { ...rsa.publicJwk, kid: 'rsa', alg: undefined }];
    const token = await signAccessToken({ key: { ...rsa, kid: 'rsa', alg: 'PS256' }, claims: aliceClaims(issuer, now) });
    expect(verifier.verify(token, 'subject_token').sub).toBe('alice');
    jwks = [ours.publicJwk, { ...rsa.publicJwk, kid: 'rsa' }];
    expect(refusal(token)).toBe('subject_token is not signed by a key of this server (kid and alg do not match)');
  });

  it('refuses a token from another issuer, even signed by our key', async () => {
    expect(
      refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { iss: 'http://localhost:9001/' }) })),
    ).toBe('subject_token was issued by another issuer');
  });

  it('refuses a JWT that is not an access token (typ JWT, or none)', async () => {
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now), header: { typ: 'JWT' } }))).toBe(
      'subject_token is not an access token (JWT typ must be at+jwt)',
    );
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now), header: { typ: undefined } }))).toBe(
      'subject_token is not an access token (JWT typ must be at+jwt)',
    );
  });

  it('refuses unsigned and symmetric tokens', async () => {
    const header = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const payload = header(aliceClaims(issuer, now));
    expect(refusal(`${header({ alg: 'none', typ: 'at+jwt', kid: ours.kid })}.${payload}.c2ln`)).toBe(
      'subject_token is signed with an algorithm this server does not use',
    );
    expect(refusal(`${header({ alg: 'HS256', typ: 'at+jwt', kid: ours.kid })}.${payload}.c2ln`)).toBe(
      'subject_token is signed with an algorithm this server does not use',
    );
    expect(refusal(`${header({ alg: 'ES256', typ: 'at+jwt' })}.${payload}.c2ln`)).toBe(
      'subject_token is not signed by a key of this server (no kid)',
    );
    expect(refusal(`${header({ alg: 'ES256', typ: 'at+jwt', kid: ours.kid, crit: ['exp'] })}.${payload}.c2ln`)).toBe(
      'subject_token has critical header parameters this server does not support',
    );
  });

  it.each([
    ['an opaque token', 'Zm9vYmFy-opaque-refresh-token'],
    ['two segments', 'eyJhbGciOiJFUzI1NiJ9.e30'],
    ['an encrypted JWT (five segments)', 'a.b.c.d.e'],
    ['bad base64url', 'ey!!.e30.c2ln'],
    ['a header that is not JSON', 'bm90IGpzb24.e30.c2ln'],
  ])('refuses %s as not a JWT of ours', (_label, token) => {
    expect(refusal(token)).toBe('subject_token is not a signed JWT issued by this server');
  });

  it('names the parameter it checks', async () => {
    const token = await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { exp: now - 5 }) });
    expect(refusal(token, 'actor_token')).toBe('actor_token is expired');
  });

  it('refuses tokens without sub or aud', async () => {
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { sub: undefined }) }))).toBe(
      'subject_token has no subject (sub)',
    );
    expect(refusal(await signAccessToken({ key: ours, claims: aliceClaims(issuer, now, { aud: [] }) }))).toBe(
      'subject_token has no audience (aud)',
    );
  });

  it('follows key rotation: a new key under a kid replaces the cached one', async () => {
    const token = await signAccessToken({ key: ours, claims: aliceClaims(issuer, now) });
    expect(verifier.verify(token, 'subject_token').sub).toBe('alice');
    const rotated = testKey('ES256', ours.kid);
    jwks = [rotated.publicJwk];
    expect(refusal(token)).toBe('subject_token signature is invalid');
    expect(verifier.verify(await signAccessToken({ key: rotated, claims: aliceClaims(issuer, now) }), 'subject_token').sub).toBe(
      'alice',
    );
    jwks = [];
    expect(refusal(token)).toBe('subject_token is not signed by a key of this server (unknown kid)');
  });
});

describe('VerificationKeys', () => {
  it('imports a key once and reuses the KeyObject while the JWKS publishes the same key', () => {
    const key = testKey('ES256');
    let calls = 0;
    const keys = new VerificationKeys(() => {
      calls += 1;
      return [{ ...key.publicJwk }];
    });
    const first = keys.find(key.kid);
    const second = keys.find(key.kid);
    expect(first?.key).toBeDefined();
    expect(second?.key).toBe(first?.key);
    expect(calls).toBe(2);
    expect(keys.find('unknown')).toBeUndefined();
  });

  it('never uses an encryption key to verify', () => {
    const key = testKey('ES256');
    expect(new VerificationKeys(() => [{ ...key.publicJwk, use: 'enc' }]).find(key.kid)).toBeUndefined();
  });
});
