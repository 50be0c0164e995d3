import { createHmac } from 'node:crypto';
import { Strategy } from 'passport-jwt';
import { installJoseVerifier, JoseVerified } from './passport-jwt-verifier.seam';
import { VerifiedClaims } from '../principal';

type Verifier = (token: string, key: unknown, options: unknown, callback: (error: unknown, payload?: unknown) => void) => void;
const statics = Strategy as unknown as { JwtVerifier: Verifier };

const verify = (token: string, key: unknown, options: object = {}) =>
  new Promise<{ error: unknown; payload: unknown }>((resolve) =>
    statics.JwtVerifier(token, key, options, (error, payload) => resolve({ error, payload })),
  );

function hs256(claims: object, secret: string): string {
  const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * Guards the passport-jwt seam (4.0.1): the strategy calls the static `JwtStrategy.JwtVerifier`,
 * which we wrap. Fails if an upgrade removes it or changes how `authenticate` uses it.
 */
describe('passport-jwt verifier seam', () => {
  beforeAll(() => installJoseVerifier());

  it('exists in the installed passport-jwt, and authenticate() calls it with the provider’s key', async () => {
    expect(typeof statics.JwtVerifier).toBe('function');
    const claims = { sub: 'alice' } as VerifiedClaims;
    const outcome = await new Promise<unknown>((resolve) => {
      const strategy = new Strategy(
        {
          jwtFromRequest: () => 'a.b.c',
          secretOrKeyProvider: (_request, _token, done) => done(null, new JoseVerified(claims) as unknown as string),
        },
        (payload: unknown) => resolve(payload),
      );
      const fail = (info: unknown) => resolve({ failed: info });
      Object.assign(strategy, { fail, error: fail, success: () => undefined });
      strategy.authenticate({} as never);
    });
    expect(outcome).toBe(claims);
  });

  it('passes a token the strategy verified on jose through, with its claims', async () => {
    const claims = { sub: 'alice' } as VerifiedClaims;
    expect(await verify('a.b.c', new JoseVerified(claims))).toEqual({ error: null, payload: claims });
  });

  it('leaves every other key to jsonwebtoken: the host app’s own passport-jwt strategies work as before', async () => {
    const token = hs256({ sub: 'bob', iat: Math.floor(Date.now() / 1000) }, 'host-secret');
    const good = await verify(token, 'host-secret', { algorithms: ['HS256'] });
    expect(good.error).toBeNull();
    expect(good.payload).toMatchObject({ sub: 'bob' });
    const bad = await verify(token, 'another-secret', { algorithms: ['HS256'] });
    expect((bad.error as Error).name).toBe('JsonWebTokenError');
  });

  it('wraps once, however many strategies are constructed', () => {
    const first = statics.JwtVerifier;
    installJoseVerifier();
    installJoseVerifier();
    expect(statics.JwtVerifier).toBe(first);
  });
});
