import { randomUUID } from 'node:crypto';
import { JwksTestServer } from '../testing/jwks-test-server';
import { startTestApp, RunningTestApp } from '../../test-support/test-app';
import {
  decodePayload,
  flipSignatureByte,
  generateSigningKey,
  SigningKey,
  swapPayload,
  TokenForge,
} from '../testing/token-forge';

const AUDIENCE = 'message-service';
const REALM = 'test-service';
const bare = `Bearer realm="${REALM}"`;
const invalidToken = (description: string) =>
  `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  challenge: string | null;
  retryAfter: string | null;
}

async function call(url: string, init: RequestInit & { token?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(url, { ...init, headers });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get('www-authenticate'),
    retryAfter: response.headers.get('retry-after'),
  };
}

describe('ResourceServerModule over HTTP', () => {
  let key: SigningKey;
  let jwks: JwksTestServer;
  let server: RunningTestApp;
  let forge: TokenForge;

  beforeAll(async () => {
    key = generateSigningKey('ES256');
    jwks = await JwksTestServer.start([key.jwk]);
    forge = new TokenForge({ issuer: jwks.issuer, audience: AUDIENCE });
    // No jwksUri: found through the issuer's discovery document.
    server = await startTestApp({ issuer: jwks.issuer, audience: AUDIENCE, realm: REALM });
  });

  afterAll(async () => {
    await server.close();
    await jwks.stop();
  });

  describe('a valid token', () => {
    it('is accepted and gives the principal, the raw token included', async () => {
      const token = await forge.sign({
        key,
        claims: { sub: 'bob', scope: 'message.read message.write', act: { sub: 'user-service' } },
      });
      const answer = await call(`${server.url}/me`, { token });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        sub: 'bob',
        clientId: 'demo-app',
        scopes: ['message.read', 'message.write'],
        act: { sub: 'user-service' },
        token,
        jti: decodePayload(token)['jti'],
      });
      expect(jwks.requests).toContain('/.well-known/oauth-authorization-server');
    });

    it('matches the scheme name case-insensitively', async () => {
      const token = await forge.sign({ key });
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const answer = await call(`${server.url}/me`, { headers: { authorization: `${scheme} ${token}` } });
        expect(answer.status).toBe(200);
      }
    });

    it('accepts typ at+jwt in any case and with the application/ prefix (RFC 9068)', async () => {
      for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/At+JWT']) {
        const token = await forge.sign({ key, header: { typ } });
        expect((await call(`${server.url}/me`, { token })).status).toBe(200);
      }
    });

    it('accepts an aud array that contains this audience', async () => {
      const token = await forge.sign({ key, claims: { aud: ['other', AUDIENCE] } });
      expect((await call(`${server.url}/me`, { token })).status).toBe(200);
    });

    it('allows an expiry within the clock tolerance (5 s by default)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await forge.sign({ key, claims: { exp: now - 2 } });
      expect((await call(`${server.url}/me`, { token })).status).toBe(200);
    });

    it('gives act null when no one acts for the subject', async () => {
      const token = await forge.sign({ key });
      expect((await call(`${server.url}/me`, { token })).body['act']).toBeNull();
    });
  });

  describe('@Public()', () => {
    it('lets a request without a token through, with no principal', async () => {
      const answer = await call(`${server.url}/public`);
      expect(answer).toEqual({ status: 200, body: { public: true, principal: false }, challenge: null, retryAfter: null });
    });

    it('does not look at a bad token', async () => {
      expect((await call(`${server.url}/public`, { token: 'garbage' })).status).toBe(200);
    });
  });

  describe('no token', () => {
    it('answers 401 with a bare challenge (no error code: RFC 6750 §3.1)', async () => {
      const answer = await call(`${server.url}/me`);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(bare);
      expect(answer.body).toEqual({ error: 'unauthorized', message: 'An access token is required' });
    });

    it('treats another scheme as no bearer token', async () => {
      const answer = await call(`${server.url}/me`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(bare);
    });

    it('also guards routes that only declare @Scopes', async () => {
      const answer = await call(`${server.url}/read`);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(bare);
    });
  });

  describe('malformed requests → 400 invalid_request', () => {
    const invalidRequest = (description: string) =>
      `Bearer realm="${REALM}", error="invalid_request", error_description="${description}"`;

    it('refuses a token in both the header and the query string', async () => {
      const token = await forge.sign({ key });
      const answer = await call(`${server.url}/me?access_token=${token}`, { token });
      expect(answer.status).toBe(400);
      expect(answer.challenge).toBe(invalidRequest('The access token was sent in more than one way'));
      expect(answer.body).toEqual({ error: 'invalid_request', message: 'The access token was sent in more than one way' });
    });

    it('refuses a token in both the header and a form body', async () => {
      const token = await forge.sign({ key });
      const answer = await call(`${server.url}/write`, {
        method: 'POST',
        token,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `access_token=${token}`,
      });
      expect(answer.status).toBe(400);
      expect(answer.challenge).toBe(invalidRequest('The access token was sent in more than one way'));
    });

    it('refuses a token in the URL alone (it would end up in logs)', async () => {
      const token = await forge.sign({ key });
      const answer = await call(`${server.url}/me?access_token=${token}`);
      expect(answer.status).toBe(400);
      expect(answer.challenge).toBe(
        invalidRequest('Access tokens are accepted only in the Authorization header, not in the URL'),
      );
    });

    it('refuses a token in a form body alone', async () => {
      const token = await forge.sign({ key });
      const answer = await call(`${server.url}/write`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `access_token=${token}`,
      });
      expect(answer.status).toBe(400);
      expect(answer.challenge).toBe(
        invalidRequest('Access tokens are accepted only in the Authorization header, not in the body'),
      );
    });

    it.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['Bearer "quoted"'], ['Bearer tok\u00e9n']])(
      'refuses the header %j',
      async (authorization) => {
        const answer = await call(`${server.url}/me`, { headers: { authorization } });
        expect(answer.status).toBe(400);
        expect(answer.challenge).toBe(invalidRequest('The Authorization header is malformed'));
      },
    );
  });

  describe('forged or unusable tokens → 401 invalid_token', () => {
    const now = () => Math.floor(Date.now() / 1000);

    const cases: Array<[string, () => Promise<string>, string]> = [
      ['expired', () => forge.sign({ key, claims: { exp: now() - 60 } }), 'The access token has expired'],
      ['nbf in the future', () => forge.sign({ key, claims: { nbf: now() + 120 } }), 'The access token is not valid yet'],
      ['no exp', () => forge.sign({ key, omit: ['exp'] }), 'The access token has no expiry'],
      ['exp that is not a number', () => forge.sign({ key, claims: { exp: String(now() + 60) } }), 'The access token has malformed claims'],
      ['no sub', () => forge.sign({ key, omit: ['sub'] }), 'The access token has no subject'],
      ['empty sub', () => forge.sign({ key, claims: { sub: '' } }), 'The access token has no subject'],
      ['no client_id', () => forge.sign({ key, omit: ['client_id'] }), 'The access token has malformed claims'],
      ['a scope that is not a string', () => forge.sign({ key, claims: { scope: ['message.read'] } }), 'The access token has malformed claims'],
      ['a malformed act', () => forge.sign({ key, claims: { act: 'user-service' } }), 'The access token has malformed claims'],
      ['wrong iss', () => forge.sign({ key, claims: { iss: 'http://evil.example' } }), 'The access token was not issued by the trusted issuer'],
      ['no iss', () => forge.sign({ key, omit: ['iss'] }), 'The access token was not issued by the trusted issuer'],
      ['iss with a trailing slash', () => forge.sign({ key, claims: { iss: `${jwks.issuer}/` } }), 'The access token was not issued by the trusted issuer'],
      ['wrong aud', () => forge.sign({ key, claims: { aud: 'user-service' } }), 'The access token is not meant for this service'],
      ['no aud', () => forge.sign({ key, omit: ['aud'] }), 'The access token is not meant for this service'],
      ['alg none', async () => forge.unsigned(forge.claims()), 'The access token is signed with an algorithm that is not accepted'],
      ['HS256 signed with the public key', async () => forge.hmacWithPublicKey(key, forge.claims()), 'The access token is signed with an algorithm that is not accepted'],
      ['an allowed-looking alg the key does not fit (ES384)', () => forge.sign({ key, header: { alg: 'ES384' } }), 'The access token is signed with an algorithm that is not accepted'],
      ['typ JWT', () => forge.sign({ key, header: { typ: 'JWT' } }), 'The token is not an access token (typ must be at+jwt)'],
      ['no typ', () => forge.sign({ key, header: { typ: undefined } }), 'The token is not an access token (typ must be at+jwt)'],
      ['typ of an ID token-ish application/jwt', () => forge.sign({ key, header: { typ: 'application/jwt' } }), 'The token is not an access token (typ must be at+jwt)'],
      ['a key not in the JWKS (same kid)', () => forge.sign({ key: { ...generateSigningKey('ES256'), kid: key.kid } }), 'The access token signature is invalid'],
      ['one flipped signature byte', async () => flipSignatureByte(await forge.sign({ key })), 'The access token signature is invalid'],
      ['a changed payload (sub swapped)', async () => swapPayload(await forge.sign({ key }), forge.claims({ sub: 'mallory' })), 'The access token signature is invalid'],
      ['not a JWT', async () => 'not-a-jwt', 'The access token is malformed'],
      ['a header that is not JSON', async () => `${Buffer.from('nope').toString('base64url')}.e30.c2ln`, 'The access token is malformed'],
      ['a crit header', () => forge.sign({ key, header: { crit: ['exp'], exp: 1 } }), 'The access token is malformed'],
    ];

    it.each(cases)('%s', async (_name, make, description) => {
      const answer = await call(`${server.url}/me`, { token: await make() });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(invalidToken(description));
      expect(answer.body).toEqual({ error: 'invalid_token', message: description });
    });
  });

  describe('@Scopes', () => {
    it('answers 403 insufficient_scope naming the scope when it is missing', async () => {
      const token = await forge.sign({ key, claims: { scope: 'message.write' } });
      const answer = await call(`${server.url}/read`, { token });
      expect(answer.status).toBe(403);
      expect(answer.challenge).toBe(`Bearer realm="${REALM}", error="insufficient_scope", scope="message.read"`);
      expect(answer.body).toEqual({
        error: 'insufficient_scope',
        message: 'The access token lacks the required scope: message.read',
      });
    });

    it('requires every listed scope', async () => {
      const token = await forge.sign({ key, claims: { scope: 'message.read' } });
      const answer = await call(`${server.url}/write`, { method: 'POST', token });
      expect(answer.status).toBe(403);
      expect(answer.challenge).toBe(
        `Bearer realm="${REALM}", error="insufficient_scope", scope="message.read message.write"`,
      );
      const both = await forge.sign({ key, claims: { scope: 'message.write message.read' } });
      expect((await call(`${server.url}/write`, { method: 'POST', token: both })).status).toBe(201);
    });

    it('treats a token without a scope claim as having none', async () => {
      const token = await forge.sign({ key, omit: ['scope'] });
      expect((await call(`${server.url}/read`, { token })).status).toBe(403);
      expect((await call(`${server.url}/me`, { token })).status).toBe(200);
    });

    it('does not match scope prefixes or substrings', async () => {
      const token = await forge.sign({ key, claims: { scope: 'message.readonly message' } });
      expect((await call(`${server.url}/read`, { token })).status).toBe(403);
    });

    it('applies a controller-level @Scopes, replaced by a method-level one', async () => {
      const reader = await forge.sign({ key, claims: { scope: 'message.read' } });
      const writer = await forge.sign({ key, claims: { scope: 'message.write' } });
      expect((await call(`${server.url}/scoped`, { token: reader })).status).toBe(403);
      expect((await call(`${server.url}/scoped`, { token: writer })).status).toBe(200);
      expect((await call(`${server.url}/scoped/override`, { token: reader })).status).toBe(200);
      expect((await call(`${server.url}/scoped/override`, { token: writer })).status).toBe(403);
    });
  });

  describe('unknown keys', () => {
    it('refuses a token whose kid is not in the JWKS, after one refetch', async () => {
      const stranger = generateSigningKey('ES256');
      const answer = await call(`${server.url}/me`, { token: await forge.sign({ key: stranger }) });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(invalidToken('The access token is signed by an unknown key'));
    });

    it('never echoes the attacker-controlled kid or claims into the header', async () => {
      const evil = 'x", error="none\r\nSet-Cookie: a=b';
      const token = await forge.sign({ key: { ...generateSigningKey(), kid: evil }, claims: { aud: evil, iss: evil } });
      const answer = await call(`${server.url}/me`, { token });
      expect(answer.status).toBe(401);
      expect(answer.challenge).not.toContain('evil');
      expect(answer.challenge).toMatch(/^Bearer realm="test-service", error="invalid_token", error_description="[^"\\]+"$/);
    });
  });
});

describe('JWKS fetching limits over HTTP', () => {
  const REFETCH_INTERVAL_MS = 400;
  let key: SigningKey;
  let jwks: JwksTestServer;
  let server: RunningTestApp;
  let forge: TokenForge;

  beforeEach(async () => {
    key = generateSigningKey('ES256');
    jwks = await JwksTestServer.start([key.jwk]);
    forge = new TokenForge({ issuer: jwks.issuer, audience: AUDIENCE });
    server = await startTestApp({
      issuer: jwks.issuer,
      audience: AUDIENCE,
      realm: REALM,
      jwksUri: jwks.jwksUri,
      jwksRefetchMinIntervalMs: REFETCH_INTERVAL_MS,
    });
  });

  afterEach(async () => {
    await server.close();
    await jwks.stop();
  });

  it('fetches the JWKS once for 50 concurrent first requests (coalesced)', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, () => forge.sign({ key })));
    const answers = await Promise.all(tokens.map((token) => call(`${server.url}/me`, { token })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(jwks.jwksFetches).toBe(1);
    expect(jwks.requests).not.toContain('/.well-known/oauth-authorization-server');
  });

  it('lets a flood of random kids make at most one JWKS fetch per interval', async () => {
    const floodTokens = await Promise.all(
      Array.from({ length: 200 }, () => forge.sign({ key, header: { kid: randomUUID() } })),
    );
    expect((await call(`${server.url}/me`, { token: await forge.sign({ key }) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, REFETCH_INTERVAL_MS));
    const started = Date.now();
    const flood = await Promise.all(floodTokens.map((token) => call(`${server.url}/me`, { token })));
    const elapsed = Date.now() - started;
    expect(new Set(flood.map((answer) => answer.status))).toEqual(new Set([401]));
    expect(new Set(flood.map((answer) => answer.challenge))).toEqual(
      new Set([invalidToken('The access token is signed by an unknown key')]),
    );
    // 1 at start, then at most one per started interval of the flood (usually exactly 1).
    expect(jwks.jwksFetches).toBeGreaterThanOrEqual(2);
    expect(jwks.jwksFetches).toBeLessThanOrEqual(2 + Math.floor(elapsed / REFETCH_INTERVAL_MS));
  });

  it('picks up a rotated-in key once the refetch interval allows', async () => {
    expect((await call(`${server.url}/me`, { token: await forge.sign({ key }) })).status).toBe(200);
    const next = generateSigningKey('ES256');
    jwks.setKeys([key.jwk, next.jwk]);
    const token = await forge.sign({ key: next });
    // Within the interval: the new kid is not fetched yet.
    expect((await call(`${server.url}/me`, { token })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, REFETCH_INTERVAL_MS + 50));
    expect((await call(`${server.url}/me`, { token })).status).toBe(200);
    expect((await call(`${server.url}/me`, { token: await forge.sign({ key }) })).status).toBe(200);
    expect(jwks.jwksFetches).toBe(2);
  });

  it('answers 503 temporarily_unavailable with Retry-After when the JWKS cannot be fetched', async () => {
    await jwks.stop();
    const answer = await call(`${server.url}/me`, { token: await forge.sign({ key }) });
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      error: 'temporarily_unavailable',
      message: 'The signing keys of the token issuer cannot be fetched right now; try again later',
    });
    expect(answer.retryAfter).toMatch(/^[1-9]\d*$/);
    expect(answer.challenge).toBeNull();
    // Once the auth server is back, the same token is accepted.
    await jwks.resume();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await call(`${server.url}/me`, { token: await forge.sign({ key }) })).status).toBe(200);
  });

  it('keeps verifying with cached keys while the JWKS is down', async () => {
    expect((await call(`${server.url}/me`, { token: await forge.sign({ key }) })).status).toBe(200);
    await jwks.stop();
    expect((await call(`${server.url}/me`, { token: await forge.sign({ key }) })).status).toBe(200);
    // An unknown kid while the issuer is unreachable may be a new key: 503, not 401.
    await new Promise((resolve) => setTimeout(resolve, REFETCH_INTERVAL_MS));
    const answer = await call(`${server.url}/me`, { token: await forge.sign({ key: generateSigningKey() }) });
    expect(answer.status).toBe(503);
    await jwks.resume();
  });
});

describe('two resource servers in one process', () => {
  it('keep their own strategy: each accepts only its own audience', async () => {
    const key = generateSigningKey('ES256');
    const jwks = await JwksTestServer.start([key.jwk]);
    const forge = new TokenForge({ issuer: jwks.issuer, audience: 'unused' });
    const users = await startTestApp({ issuer: jwks.issuer, audience: 'user-service', jwksUri: jwks.jwksUri });
    const messages = await startTestApp({ issuer: jwks.issuer, audience: 'message-service', jwksUri: jwks.jwksUri });
    try {
      const forUsers = await forge.sign({ key, claims: { aud: 'user-service' } });
      const forMessages = await forge.sign({ key, claims: { aud: 'message-service' } });
      expect((await call(`${users.url}/me`, { token: forUsers })).status).toBe(200);
      expect((await call(`${users.url}/me`, { token: forMessages })).status).toBe(401);
      expect((await call(`${messages.url}/me`, { token: forMessages })).status).toBe(200);
      const refused = await call(`${messages.url}/me`, { token: forUsers });
      expect(refused.status).toBe(401);
      expect(refused.challenge).toBe(
        'Bearer realm="message-service", error="invalid_token", error_description="The access token is not meant for this service"',
      );
    } finally {
      await users.close();
      await messages.close();
      await jwks.stop();
    }
  });
});

describe('RSA algorithms', () => {
  it('verifies RS256 and PS256 when configured, and refuses what is not listed', async () => {
    const rs = generateSigningKey('RS256');
    const ps = generateSigningKey('PS256');
    const es = generateSigningKey('ES256');
    const jwks = await JwksTestServer.start([rs.jwk, ps.jwk, es.jwk]);
    const forge = new TokenForge({ issuer: jwks.issuer, audience: AUDIENCE });
    const server = await startTestApp({ issuer: jwks.issuer, audience: AUDIENCE, algorithms: ['RS256', 'PS256'], realm: REALM });
    try {
      expect((await call(`${server.url}/me`, { token: await forge.sign({ key: rs }) })).status).toBe(200);
      expect((await call(`${server.url}/me`, { token: await forge.sign({ key: ps }) })).status).toBe(200);
      const refused = await call(`${server.url}/me`, { token: await forge.sign({ key: es }) });
      expect(refused.challenge).toBe(invalidToken('The access token is signed with an algorithm that is not accepted'));
      // An RS256 key presented as PS256: the JWK's alg pins it to RS256.
      const mislabelled = await call(`${server.url}/me`, { token: await forge.sign({ key: rs, header: { alg: 'PS256' } }) });
      expect(mislabelled.challenge).toBe(invalidToken('The access token is signed by an unknown key'));
    } finally {
      await server.close();
      await jwks.stop();
    }
  });
});

describe('EdDSA (Ed25519)', () => {
  it('verifies an Ed25519-signed token when EdDSA is configured, and refuses it when it is not', async () => {
    const ed = generateSigningKey('EdDSA');
    const jwks = await JwksTestServer.start([ed.jwk]);
    const forge = new TokenForge({ issuer: jwks.issuer, audience: AUDIENCE });
    const eddsa = await startTestApp({ issuer: jwks.issuer, audience: AUDIENCE, algorithms: ['EdDSA'], realm: REALM });
    const es256 = await startTestApp({ issuer: jwks.issuer, audience: AUDIENCE, realm: REALM });
    try {
      const token = await forge.sign({ key: ed, claims: { sub: 'carol' } });
      const accepted = await call(`${eddsa.url}/me`, { token });
      expect(accepted.status).toBe(200);
      expect(accepted.body['sub']).toBe('carol');
      expect((await call(`${eddsa.url}/me`, { token: flipSignatureByte(token) })).challenge).toBe(
        invalidToken('The access token signature is invalid'),
      );
      expect((await call(`${es256.url}/me`, { token })).challenge).toBe(
        invalidToken('The access token is signed with an algorithm that is not accepted'),
      );
    } finally {
      await eddsa.close();
      await es256.close();
      await jwks.stop();
    }
  });
});
