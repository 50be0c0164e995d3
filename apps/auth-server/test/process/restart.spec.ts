import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JsonWebKeySet } from '@baton/dto';
import { AuthServerHarness, CookieJar, startAuthServer } from '@baton/testing';

jest.setTimeout(60_000);

describe('restart (the built server as a process, data in a folder)', () => {
  let auth: AuthServerHarness;

  beforeAll(async () => {
    auth = await startAuthServer();
  });

  afterAll(async () => {
    await auth.stop();
  });

  const jwks = async (): Promise<JsonWebKeySet> => (await (await fetch(`${auth.issuer}/oauth2/jwks`)).json()) as JsonWebKeySet;

  it('keeps keys, sessions and refresh tokens: a token minted before verifies after', async () => {
    const serviceToken = await auth.clientCredentials();
    const browser = new CookieJar();
    const userTokens = await auth.login('alice', 'alice-password', { jar: browser });
    const keysBefore = await jwks();
    const pid = auth.process.child.pid;

    await auth.restart();
    expect(auth.process.child.pid).not.toBe(pid);

    // Keys: the same JWKS, and tokens from before verify against it.
    const keysAfter = await jwks();
    expect(keysAfter).toEqual(keysBefore);
    for (const [token, audience] of [
      [serviceToken.access_token, 'user-service'],
      [userTokens.access_token, 'user-service'],
    ] as const) {
      await expect(
        jwtVerify(token, createLocalJWKSet(keysAfter), { issuer: auth.issuer, audience, typ: 'at+jwt' }),
      ).resolves.toBeDefined();
    }

    // Refresh tokens: the one issued before the restart still works.
    const refreshed = await auth.refresh(userTokens.refresh_token ?? '');
    const { payload } = await jwtVerify(refreshed.access_token, createLocalJWKSet(keysAfter), { issuer: auth.issuer, audience: 'user-service' });
    expect(payload.sub).toBe('alice');

    // Sessions: the same browser is still signed in, so only the consent page is shown (demo-app
    // is a native client, which oidc-provider always asks consent for); the password is not asked.
    const steps: string[] = [];
    const again = await auth.login('alice', 'not-asked-again', { jar: browser, onStep: (step) => steps.push(step) });
    expect(steps).toEqual(['consent']);
    expect(JSON.parse(Buffer.from(again.access_token.split('.')[1] ?? '', 'base64url').toString())).toMatchObject({ sub: 'alice' });
  });

  it('keeps its secrets owner-only (0600) in the data folder', () => {
    for (const file of ['signing-keys.json', 'cookie-secrets.json', 'oidc.sqlite']) {
      expect((statSync(join(auth.dataDir, file)).mode & 0o777).toString(8)).toBe('600');
    }
  });

  it('a fresh browser after the restart has to sign in', async () => {
    const steps: string[] = [];
    await auth.login('bob', 'bob-password', { onStep: (step) => steps.push(step) });
    expect(steps).toEqual(['login', 'consent']);
  });
});
