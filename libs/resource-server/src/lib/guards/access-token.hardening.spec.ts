import { JwksTestServer } from '../testing/jwks-test-server';
import { RunningTestApp, startTestApp } from '../../test-support/test-app';
import { generateSigningKey, SigningKey, TokenForge } from '../testing/token-forge';

/**
 * Issue 11's attacks on the resource server, over real HTTP to a real Nest app using the module:
 * a backward wall-clock step (H04), a poisoned discovery document (H05), a token issued in the
 * future (H14).
 */

const AUDIENCE = 'message-service';
const REALM = 'test-service';
const invalidToken = (description: string) =>
  `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`;
const TEN_MINUTES = 10 * 60 * 1000;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  challenge: string | null;
  retryAfter: string | null;
}

async function call(url: string, token: string): Promise<Answer> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get('www-authenticate'),
    retryAfter: response.headers.get('retry-after'),
  };
}

describe('ResourceServerModule hardening (issue 11)', () => {
  let key: SigningKey;
  let jwks: JwksTestServer;
  let forge: TokenForge;
  const running: RunningTestApp[] = [];
  const servers: JwksTestServer[] = [];

  const start = async (options: Partial<Parameters<typeof startTestApp>[0]> = {}): Promise<RunningTestApp> => {
    const app = await startTestApp({ issuer: jwks.issuer, audience: AUDIENCE, realm: REALM, ...options });
    running.push(app);
    return app;
  };

  beforeEach(async () => {
    key = generateSigningKey('ES256');
    jwks = await JwksTestServer.start([key.jwk]);
    servers.push(jwks);
    forge = new TokenForge({ issuer: jwks.issuer, audience: AUDIENCE });
  });

  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(running.splice(0).map((app) => app.close()));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  describe('[H04] a backward wall-clock step', () => {
    it('[H04] still fetches a newly rotated key once the refetch interval has passed on the monotonic clock', async () => {
      const app = await start({ jwksUri: jwks.jwksUri, jwksRefetchMinIntervalMs: 15_000 });
      // Only the clocks are replaced (Date and performance); timers and I/O stay real.
      jest.useFakeTimers({
        now: Date.now(),
        doNotFake: [
          'hrtime',
          'nextTick',
          'queueMicrotask',
          'requestAnimationFrame',
          'cancelAnimationFrame',
          'requestIdleCallback',
          'cancelIdleCallback',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      });
      expect((await call(`${app.url}/me`, await forge.sign({ key }))).status).toBe(200);
      expect(jwks.jwksFetches).toBe(1);

      // NTP steps the wall clock back ten minutes; the monotonic clock does not move.
      jest.setSystemTime(Date.now() - TEN_MINUTES);
      const next = generateSigningKey('ES256');
      jwks.setKeys([key.jwk, next.jwk]);

      // Within the refetch interval the limit still holds: no fetch, an unknown key.
      const early = await call(`${app.url}/me`, await forge.sign({ key: next }));
      expect(early.status).toBe(401);
      expect(early.challenge).toBe(invalidToken('The access token is signed by an unknown key'));
      expect(jwks.jwksFetches).toBe(1);

      // 15 s later on both clocks (the wall clock still 9 min 45 s behind where it was).
      jest.advanceTimersByTime(15_000);
      const rotated = await call(`${app.url}/me`, await forge.sign({ key: next }));
      expect(rotated.status).toBe(200);
      expect(rotated.body['sub']).toBe('alice');
      expect(jwks.jwksFetches).toBe(2);
    });
  });

  describe('[H05] a poisoned discovery document', () => {
    it('[H05] never trusts keys from a jwks_uri off the issuer origin: the attacker’s token gets 503, its server no request', async () => {
      const attackerKey = generateSigningKey('ES256');
      const attacker = await JwksTestServer.start([attackerKey.jwk]);
      servers.push(attacker);
      // The issuer's own discovery document, as a poisoned shared cache would serve it.
      jwks.setDiscovery({ jwks_uri: attacker.jwksUri });
      const app = await start();

      const forged = await call(`${app.url}/me`, await forge.sign({ key: attackerKey }));
      expect(forged.status).toBe(503);
      expect(forged.body).toMatchObject({ error: 'temporarily_unavailable' });
      expect(forged.retryAfter).toBe('1');
      expect(forged.challenge).toBeNull();
      expect(attacker.requests).toEqual([]);
      // Both discovery documents were asked, neither was followed off-origin.
      expect(jwks.requests).toEqual(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);
    });

    it('follows a jwks_uri on another origin only when that origin is configured', async () => {
      const keyHost = await JwksTestServer.start([key.jwk]);
      servers.push(keyHost);
      jwks.setDiscovery({ jwks_uri: keyHost.jwksUri });
      const app = await start({ trustedJwksOrigins: [keyHost.issuer] });
      expect((await call(`${app.url}/me`, await forge.sign({ key }))).status).toBe(200);
      expect(keyHost.jwksFetches).toBe(1);
    });
  });

  describe('[H14] iat in the future', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('[H14] refuses a token issued a year ahead with 401 invalid_token and the exact challenge', async () => {
      const app = await start({ jwksUri: jwks.jwksUri });
      const year = 365 * 24 * 3600;
      const answer = await call(`${app.url}/me`, await forge.sign({ key, claims: { iat: now() + year, exp: now() + year + 300 } }));
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_token', message: 'The access token is not valid yet' });
      expect(answer.challenge).toBe(invalidToken('The access token is not valid yet'));
    });

    it('[H14] refuses an iat beyond the clock tolerance, accepts one within it, refuses one that is not a number', async () => {
      const app = await start({ jwksUri: jwks.jwksUri, clockToleranceSeconds: 60 });
      const beyond = await call(`${app.url}/me`, await forge.sign({ key, claims: { iat: now() + 3600 } }));
      expect(beyond.status).toBe(401);
      expect(beyond.challenge).toBe(invalidToken('The access token is not valid yet'));
      expect((await call(`${app.url}/me`, await forge.sign({ key, claims: { iat: now() + 30 } }))).status).toBe(200);
      const text = await call(`${app.url}/me`, await forge.sign({ key, claims: { iat: String(now()) } }));
      expect(text.status).toBe(401);
      expect(text.challenge).toBe(invalidToken('The access token has malformed claims'));
    });
  });
});
