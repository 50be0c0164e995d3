import { JwksTestServer } from '../testing/jwks-test-server';
import { createDpopProof, DpopProofClaims, DpopTestKey, generateDpopKey } from '../testing/dpop-proof-forge';
import { generateSigningKey, SigningKey, TokenForge } from '../testing/token-forge';
import { startTestApp, RunningTestApp } from '../../test-support/test-app';
import { DpopOptions } from '../resource-server-options';
import { DPOP_PROOF_PROBLEMS, TOKEN_BINDING_PROBLEMS, TOKEN_PROBLEMS } from '../errors/bearer-problems';

const AUDIENCE = 'message-service';
const REALM = 'test-service';
/** The URL clients know the service by: not the 127.0.0.1 address the test app listens on. */
const PUBLIC = 'https://messages.example';
const METADATA = `${PUBLIC}/.well-known/oauth-protected-resource`;
const ALGS = 'ES256 EdDSA ES384 PS256 RS256';
const dpopChallenge = (error: string, description: string) =>
  `DPoP realm="${REALM}", error="${error}", error_description="${description}", algs="${ALGS}", resource_metadata="${METADATA}"`;
const badProof = (problem: keyof typeof DPOP_PROOF_PROBLEMS) => dpopChallenge('invalid_dpop_proof', DPOP_PROOF_PROBLEMS[problem]);
const badToken = (problem: keyof typeof TOKEN_PROBLEMS | keyof typeof TOKEN_BINDING_PROBLEMS) =>
  dpopChallenge('invalid_token', { ...TOKEN_PROBLEMS, ...TOKEN_BINDING_PROBLEMS }[problem]);

interface Answer {
  status: number;
  body: Record<string, unknown>;
  challenge: string | null;
  nonce: string | null;
}

async function send(url: string, headers: Record<string, string | string[]>, method = 'GET'): Promise<Answer> {
  const request = new Headers();
  for (const [name, value] of Object.entries(headers)) for (const one of [value].flat()) request.append(name, one);
  const response = await fetch(url, { method, headers: request });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get('www-authenticate'),
    nonce: response.headers.get('dpop-nonce'),
  };
}

describe('DPoP (RFC 9449) over HTTP', () => {
  let signingKey: SigningKey;
  let jwks: JwksTestServer;
  let forge: TokenForge;
  let client: DpopTestKey;
  /** Added to the DPoP clock of the apps (ms), to move time without waiting. */
  let clockOffset = 0;
  const clock = () => Date.now() + clockOffset;
  const apps: RunningTestApp[] = [];
  let server: RunningTestApp;

  const start = async (dpop: DpopOptions | undefined, resource: string | undefined = PUBLIC) => {
    const app = await startTestApp({ issuer: jwks.issuer, audience: AUDIENCE, realm: REALM, resource, ...(dpop ? { dpop } : {}) });
    apps.push(app);
    return app;
  };
  const boundToken = (key: DpopTestKey = client, claims: Record<string, unknown> = {}) =>
    forge.sign({ key: signingKey, claims: { cnf: { jkt: key.thumbprint }, ...claims } });
  const proof = (claims: Partial<DpopProofClaims> & { accessToken?: string }, key: DpopTestKey = client) =>
    createDpopProof(key, { htm: 'GET', htu: `${PUBLIC}/me`, ...claims });
  const dpopCall = (app: RunningTestApp, token: string, dpop: string | string[] | undefined, path = '/me', method = 'GET') =>
    send(`${app.url}${path}`, { authorization: `DPoP ${token}`, ...(dpop === undefined ? {} : { dpop }) }, method);

  beforeAll(async () => {
    signingKey = generateSigningKey('ES256');
    jwks = await JwksTestServer.start([signingKey.jwk]);
    forge = new TokenForge({ issuer: jwks.issuer, audience: AUDIENCE });
    client = generateDpopKey('ES256');
    server = await start({ clock });
  });

  afterEach(() => {
    clockOffset = 0;
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await jwks.stop();
  });

  describe('a bound token with a good proof', () => {
    it('is accepted (ES256 and EdDSA keys), and the principal carries cnf', async () => {
      for (const key of [client, generateDpopKey('EdDSA')]) {
        const token = await boundToken(key);
        const answer = await dpopCall(server, token, proof({ accessToken: token }, key));
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ sub: 'alice', token });
      }
    });

    it('matches htu after normalisation, ignoring its query and fragment, and the scheme name in any case', async () => {
      const token = await boundToken();
      for (const htu of ['HTTPS://Messages.Example:443/me', `${PUBLIC}/me?page=2`, `${PUBLIC}/me#top`]) {
        const answer = await send(`${server.url}/me?page=2`, { authorization: `dpop ${token}`, dpop: proof({ accessToken: token, htu }) });
        expect(answer.status).toBe(200);
      }
    });

    it('accepts iat anywhere in the ±60 s window', async () => {
      const token = await boundToken();
      const now = Math.floor(Date.now() / 1000);
      for (const iat of [now - 55, now + 55]) expect((await dpopCall(server, token, proof({ accessToken: token, iat }))).status).toBe(200);
    });
  });

  describe('replay', () => {
    it('refuses a proof used before: 401 invalid_dpop_proof', async () => {
      const token = await boundToken();
      const once = proof({ accessToken: token });
      expect((await dpopCall(server, token, once)).status).toBe(200);
      const again = await dpopCall(server, token, once);
      expect(again.status).toBe(401);
      expect(again.body).toEqual({ error: 'invalid_dpop_proof', message: DPOP_PROOF_PROBLEMS.replayed });
      expect(again.challenge).toBe(badProof('replayed'));
    });

    it('lets exactly one of 20 concurrent identical proofs through', async () => {
      const token = await boundToken();
      const once = proof({ accessToken: token });
      const answers = await Promise.all(Array.from({ length: 20 }, () => dpopCall(server, token, once)));
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 401 && answer.body['error'] === 'invalid_dpop_proof')).toHaveLength(19);
    });
  });

  describe('refusals of the proof: 401 invalid_dpop_proof', () => {
    const cases: [string, keyof typeof DPOP_PROOF_PROBLEMS, (token: string) => string | string[] | undefined][] = [
      ['no DPoP header', 'missing', () => undefined],
      ['two DPoP headers', 'multiple', (token) => [proof({ accessToken: token }), proof({ accessToken: token })]],
      ['not a JWS', 'malformed', () => 'not.a-proof'],
      ['typ JWT', 'type', (token) => proof({ accessToken: token, header: { typ: 'JWT' } })],
      ['alg none', 'algorithm', (token) => `${proof({ accessToken: token, header: { alg: 'none' } }).split('.').slice(0, 2).join('.')}.`],
      ['alg HS256', 'algorithm', (token) => proof({ accessToken: token, header: { alg: 'HS256' } })],
      ['no jwk', 'key', (token) => proof({ accessToken: token, header: { jwk: undefined } })],
      ['a jwk that does not fit alg', 'key', (token) => proof({ accessToken: token, header: { jwk: generateDpopKey('EdDSA').publicJwk } })],
      [
        'a jwk with the private key',
        'privateKey',
        (token) => proof({ accessToken: token, header: { jwk: client.privateKey.export({ format: 'jwk' }) } }),
      ],
      ['a bad signature', 'signature', (token) => `${proof({ accessToken: token }).slice(0, -4)}AAAA`],
      ['no jti', 'claims', (token) => proof({ accessToken: token, claims: { jti: undefined } })],
      ['no iat', 'claims', (token) => proof({ accessToken: token, claims: { iat: undefined } })],
      ['htm POST for a GET', 'method', (token) => proof({ accessToken: token, htm: 'POST' })],
      ['htm get in lower case', 'method', (token) => proof({ accessToken: token, htm: 'get' })],
      ['htu of the address it listens on (the Host header), not its public URL', 'url', (token) => proof({ accessToken: token, htu: `${server.url}/me` })],
      ['htu of another path', 'url', (token) => proof({ accessToken: token, htu: `${PUBLIC}/read` })],
      ['htu of another host', 'url', (token) => proof({ accessToken: token, htu: 'https://evil.example/me' })],
      ['htu over http', 'url', (token) => proof({ accessToken: token, htu: 'http://messages.example/me' })],
      ['iat 61 s ago', 'time', (token) => proof({ accessToken: token, iat: Math.floor(Date.now() / 1000) - 61 })],
      ['iat 61 s ahead', 'time', (token) => proof({ accessToken: token, iat: Math.floor(Date.now() / 1000) + 61 })],
      ['no ath', 'accessTokenHash', () => proof({})],
      ['ath of another token', 'accessTokenHash', () => proof({ accessToken: 'another-token' })],
      ['a proof by another key', 'keyMismatch', (token) => proof({ accessToken: token }, generateDpopKey('ES256'))],
    ];

    it.each(cases)('%s', async (_name, problem, makeProof) => {
      const token = await boundToken();
      const answer = await dpopCall(server, token, makeProof(token));
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_dpop_proof', message: DPOP_PROOF_PROBLEMS[problem] });
      expect(answer.challenge).toBe(badProof(problem));
    });

    it('follows the injected clock: a proof made now is refused 2 minutes later', async () => {
      const token = await forge.sign({ key: signingKey, claims: { cnf: { jkt: client.thumbprint }, exp: Math.floor(Date.now() / 1000) + 600 } });
      clockOffset = 120_000;
      const answer = await dpopCall(server, token, proof({ accessToken: token }));
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(badProof('time'));
    });

    it('checks the method of the request: a GET proof does not open a POST', async () => {
      const token = await forge.sign({ key: signingKey, claims: { cnf: { jkt: client.thumbprint }, scope: 'message.read message.write' } });
      const answer = await dpopCall(server, token, proof({ accessToken: token, htu: `${PUBLIC}/write` }), '/write', 'POST');
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(badProof('method'));
      const good = await dpopCall(server, token, proof({ accessToken: token, htm: 'POST', htu: `${PUBLIC}/write` }), '/write', 'POST');
      expect(good.status).toBe(201);
    });
  });

  describe('refusals of the token: 401 invalid_token', () => {
    it('refuses a bound token sent as Bearer (RFC 9449 §7.2), even with a good proof', async () => {
      const token = await boundToken();
      const answer = await send(`${server.url}/me`, { authorization: `Bearer ${token}`, dpop: proof({ accessToken: token }) });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_token', message: TOKEN_BINDING_PROBLEMS.boundTokenAsBearer });
      expect(answer.challenge).toBe(badToken('boundTokenAsBearer'));
    });

    it('refuses a token without cnf.jkt sent with the DPoP scheme', async () => {
      const token = await forge.sign({ key: signingKey });
      const answer = await dpopCall(server, token, proof({ accessToken: token }));
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_token', message: TOKEN_BINDING_PROBLEMS.notBound });
      expect(answer.challenge).toBe(badToken('notBound'));
    });

    it('refuses a token with another confirmation method (cnf without jkt) either way', async () => {
      const token = await forge.sign({ key: signingKey, claims: { cnf: { 'x5t#S256': 'abc' } } });
      expect((await send(`${server.url}/me`, { authorization: `Bearer ${token}` })).challenge).toBe(badToken('boundTokenAsBearer'));
      const answer = await dpopCall(server, token, proof({ accessToken: token }));
      expect(answer.status).toBe(401);
      expect(answer.body['error']).toBe('invalid_dpop_proof');
    });

    it('answers a bad token in the DPoP scheme when it came with it', async () => {
      const token = await forge.sign({ key: signingKey, claims: { cnf: { jkt: client.thumbprint }, exp: Math.floor(Date.now() / 1000) - 60 } });
      const answer = await dpopCall(server, token, proof({ accessToken: token }));
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(badToken('expired'));
    });

    it('answers insufficient_scope in the DPoP scheme: 403', async () => {
      const token = await boundToken(client, { scope: 'message.read' });
      const answer = await dpopCall(server, token, proof({ accessToken: token, htm: 'POST', htu: `${PUBLIC}/write` }), '/write', 'POST');
      expect(answer.status).toBe(403);
      expect(answer.challenge).toBe(
        `DPoP realm="${REALM}", error="insufficient_scope", scope="message.read message.write", algs="${ALGS}", resource_metadata="${METADATA}"`,
      );
    });

    it('still accepts a bearer token without cnf, and names both schemes when no token is sent', async () => {
      const token = await forge.sign({ key: signingKey });
      expect((await send(`${server.url}/me`, { authorization: `Bearer ${token}` })).status).toBe(200);
      const none = await send(`${server.url}/me`, {});
      expect(none.status).toBe(401);
      expect(none.challenge).toBe(
        `Bearer realm="${REALM}", resource_metadata="${METADATA}", DPoP realm="${REALM}", algs="${ALGS}", resource_metadata="${METADATA}"`,
      );
    });
  });

  describe('dpop.required', () => {
    it('as a function: a token with act must be bound, other bearer tokens pass', async () => {
      const app = await start({ required: (claims) => claims.act !== undefined });
      const exchanged = await forge.sign({ key: signingKey, claims: { act: { sub: 'user-service' } } });
      const refused = await send(`${app.url}/me`, { authorization: `Bearer ${exchanged}` });
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ error: 'invalid_token', message: TOKEN_BINDING_PROBLEMS.dpopRequired });
      expect(refused.challenge).toBe(badToken('dpopRequired'));
      const signIn = await forge.sign({ key: signingKey });
      expect((await send(`${app.url}/me`, { authorization: `Bearer ${signIn}` })).status).toBe(200);
      const bound = await boundToken(client, { act: { sub: 'user-service' } });
      expect((await dpopCall(app, bound, proof({ accessToken: bound }))).status).toBe(200);
    });

    it('true: every bearer token is refused, the bare challenge names DPoP only, the metadata says so', async () => {
      const app = await start({ required: true, algorithms: ['ES256'] });
      const token = await forge.sign({ key: signingKey });
      const refused = await send(`${app.url}/me`, { authorization: `Bearer ${token}` });
      expect(refused.status).toBe(401);
      expect(refused.challenge).toBe(
        `DPoP realm="${REALM}", error="invalid_token", error_description="${TOKEN_BINDING_PROBLEMS.dpopRequired}", algs="ES256", resource_metadata="${METADATA}"`,
      );
      expect((await send(`${app.url}/me`, {})).challenge).toBe(`DPoP realm="${REALM}", algs="ES256", resource_metadata="${METADATA}"`);
      const metadata = (await (await fetch(`${app.url}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ dpop_signing_alg_values_supported: ['ES256'], dpop_bound_access_tokens_required: true });
      // An EdDSA proof is not accepted there.
      const edKey = generateDpopKey('EdDSA');
      const edToken = await boundToken(edKey);
      expect((await dpopCall(app, edToken, proof({ accessToken: edToken }, edKey))).challenge).toContain(
        `error_description="${DPOP_PROOF_PROBLEMS.algorithm}"`,
      );
    });

    it('the default metadata advertises the algorithms and that bound tokens are not always required', async () => {
      const metadata = (await (await fetch(`${server.url}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({
        dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'],
        dpop_bound_access_tokens_required: false,
      });
    });
  });

  describe('nonces (RFC 9449 §9)', () => {
    it('asks for a nonce with 401 use_dpop_nonce and DPoP-Nonce, accepts it on the retry, and a replica with the same secret accepts it too', async () => {
      const [first, second] = await Promise.all([start({ nonce: { secret: 'shared-secret' } }), start({ nonce: { secret: 'shared-secret' } })]);
      const token = await boundToken();
      const asked = await dpopCall(first, token, proof({ accessToken: token }));
      expect(asked.status).toBe(401);
      expect(asked.body['error']).toBe('use_dpop_nonce');
      expect(asked.challenge).toBe(
        dpopChallenge('use_dpop_nonce', 'The DPoP proof must carry the nonce this service gives in the DPoP-Nonce header'),
      );
      expect(asked.nonce).toMatch(/^[A-Za-z0-9_-]+$/);
      const nonce = asked.nonce ?? '';
      expect((await dpopCall(first, token, proof({ accessToken: token, nonce }))).status).toBe(200);
      expect((await dpopCall(second, token, proof({ accessToken: token, nonce }))).status).toBe(200);
    });

    it('refuses a made-up nonce, or one from a service with another secret, with a fresh nonce', async () => {
      const [app, other] = await Promise.all([start({ nonce: { secret: 'one' } }), start({ nonce: { secret: 'two' } })]);
      const token = await boundToken();
      const foreign = (await dpopCall(other, token, proof({ accessToken: token }))).nonce ?? '';
      for (const nonce of ['made-up', foreign]) {
        const answer = await dpopCall(app, token, proof({ accessToken: token, nonce }));
        expect(answer.status).toBe(401);
        expect(answer.body['error']).toBe('use_dpop_nonce');
        expect(answer.nonce).not.toBe(nonce);
      }
    });
  });

  describe('a service without the dpop option', () => {
    it('refuses a bound token sent as Bearer, and takes the DPoP scheme for no token', async () => {
      const app = await start(undefined);
      const token = await boundToken();
      const asBearer = await send(`${app.url}/me`, { authorization: `Bearer ${token}` });
      expect(asBearer.status).toBe(401);
      expect(asBearer.challenge).toBe(
        `Bearer realm="${REALM}", error="invalid_token", error_description="${TOKEN_BINDING_PROBLEMS.boundTokenAsBearer}", resource_metadata="${METADATA}"`,
      );
      const asDpop = await dpopCall(app, token, proof({ accessToken: token }));
      expect(asDpop.status).toBe(401);
      expect(asDpop.challenge).toBe(`Bearer realm="${REALM}", resource_metadata="${METADATA}"`);
      const metadata = (await (await fetch(`${app.url}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
      expect(metadata).not.toHaveProperty('dpop_signing_alg_values_supported');
    });
  });
});
