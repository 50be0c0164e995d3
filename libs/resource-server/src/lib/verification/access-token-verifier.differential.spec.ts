import { constants, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, JSONWebKeySet, JWTPayload, jwtVerify } from 'jose';
import { isActClaim } from '../claims/act-claim';
import { TOKEN_PROBLEMS, TokenProblem } from '../errors/bearer-problems';
import { ResourceServerError } from '../errors/resource-server.error';
import { JwksKeyStore } from '../jwks/jwks-key-store';
import { resolveResourceServerOptions, ResolvedResourceServerOptions, SUPPORTED_ALGORITHMS } from '../resource-server-options';
import { JwksTestServer } from '../testing/jwks-test-server';
import { AccessTokenVerifier } from './access-token-verifier';

/**
 * Differential property test (issue 15): the verifier checks signatures with node:crypto and the
 * claims by hand because that is faster (bench/resource-server), so it must judge every token as
 * the verifier it replaced did: the same header checks, then jose's `jwtVerify` (same options, keys
 * chosen from the same JWKS by jose's `createLocalJWKSet`), then the same checks beyond jose.
 * Random valid, tampered, re-headed (wrong alg, `none`, HS256, another `typ`, `crit`), wrongly
 * keyed, mis-claimed and malformed tokens get the same verdict from both: the same claims when
 * accepted, the same `error_description` when refused. Each token is judged twice by ours, so a token
 * it accepted is judged again from its cache of accepted tokens, with the same verdict.
 */
const SEED = 20261204;
const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
}

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ed = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const published: SigningKey[] = [
  { kid: 'es256', alg: 'ES256', privateKey: p256.privateKey },
  { kid: 'es384', alg: 'ES384', privateKey: p384.privateKey },
  { kid: 'es512', alg: 'ES512', privateKey: p521.privateKey },
  { kid: 'rs256', alg: 'RS256', privateKey: rsa.privateKey },
  // The same RSA key published a second time for PS256: a token may not switch between the two.
  { kid: 'ps256', alg: 'PS256', privateKey: rsa.privateKey },
  { kid: 'weak', alg: 'RS256', privateKey: weakRsa.privateKey },
  { kid: 'eddsa', alg: 'EdDSA', privateKey: ed.privateKey },
  // Two keys without `kid` or `alg`: a kid-less token matches both (no guessing: refused).
  { kid: '', alg: 'ES256', privateKey: p256.privateKey },
];
const jwks = {
  keys: [
    { ...p256.publicKey.export({ format: 'jwk' }), kid: 'es256', alg: 'ES256', use: 'sig' },
    { ...p384.publicKey.export({ format: 'jwk' }), kid: 'es384', alg: 'ES384', use: 'sig' },
    { ...p521.publicKey.export({ format: 'jwk' }), kid: 'es512', use: 'sig', key_ops: ['verify'] },
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rs256', alg: 'RS256', use: 'sig' },
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'ps256', alg: 'PS256' },
    { ...weakRsa.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256' },
    // No `alg`: any algorithm fitting its key type may be used with it.
    { ...ed.publicKey.export({ format: 'jwk' }), kid: 'eddsa', use: 'sig' },
    { ...p256.publicKey.export({ format: 'jwk' }) },
    { ...stranger.publicKey.export({ format: 'jwk' }) },
    // Published for encryption or with key_ops that exclude verify: never a verification key.
    { ...stranger.publicKey.export({ format: 'jwk' }), kid: 'enc', use: 'enc' },
    { ...stranger.publicKey.export({ format: 'jwk' }), kid: 'ops', key_ops: ['encrypt'] },
  ],
};
/** Keys a forger holds: not published, or published only for encryption. */
const strangers: SigningKey[] = [
  { kid: 'es256', alg: 'ES256', privateKey: stranger.privateKey },
  { kid: 'enc', alg: 'ES256', privateKey: stranger.privateKey },
  { kid: 'ops', alg: 'ES256', privateKey: stranger.privateKey },
  { kid: 'unknown', alg: 'ES256', privateKey: p256.privateKey },
];

type Verdict = { accepted: true; claims: unknown } | { accepted: false; status: number; description: string };

function signJws(alg: string, key: KeyObject, input: string): Buffer {
  const data = Buffer.from(input);
  if (alg === 'EdDSA') return sign(null, data, key);
  if (alg.startsWith('ES')) return sign(`sha${alg.slice(2)}`, data, { key, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('PS')) {
    return sign(`sha${alg.slice(2)}`, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  }
  return sign(`sha${alg.slice(2)}`, data, key);
}

describe('AccessTokenVerifier against jose (differential)', () => {
  let server: JwksTestServer;
  let options: ResolvedResourceServerOptions;
  let verifier: AccessTokenVerifier;
  const joseKeys = createLocalJWKSet(jwks as JSONWebKeySet);

  beforeAll(async () => {
    server = await JwksTestServer.start(jwks.keys);
    options = resolveResourceServerOptions({
      issuer: server.issuer,
      audience: 'message-service',
      jwksUri: server.jwksUri,
      algorithms: [...SUPPORTED_ALGORITHMS],
    });
    verifier = new AccessTokenVerifier(options, new JwksKeyStore(options));
  });

  afterAll(() => server.stop());

  /** Our verdict, given twice: the second time an accepted token comes from the cache of accepted tokens. */
  async function ours(token: string): Promise<Verdict> {
    const first = await oursOnce(token);
    expect(await oursOnce(token)).toEqual(first);
    return first;
  }

  async function oursOnce(token: string): Promise<Verdict> {
    try {
      return { accepted: true, claims: await verifier.verify(token) };
    } catch (error) {
      if (!(error instanceof ResourceServerError)) throw error;
      return { accepted: false, status: error.getStatus(), description: error.description };
    }
  }

  /** The verifier as it was on jose: header checks, `jwtVerify`, jose's errors classified, our checks. */
  async function reference(token: string): Promise<Verdict> {
    const refuse = (problem: TokenProblem): Verdict => ({ accepted: false, status: 401, description: TOKEN_PROBLEMS[problem] });
    const headerProblem = referenceHeaderProblem(token, options.algorithms);
    if (headerProblem) return refuse(headerProblem);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header, jws) => {
          try {
            return await joseKeys(header, jws);
          } catch (error) {
            const code = (error as { code?: string }).code;
            if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || code === 'ERR_JOSE_NOT_SUPPORTED') {
              throw new UnknownKey();
            }
            throw error;
          }
        },
        {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: [...options.algorithms],
          typ: 'at+jwt',
          clockTolerance: options.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        },
      ));
    } catch (error) {
      return refuse(error instanceof UnknownKey ? 'unknownKey' : referenceProblemOf(error));
    }
    const claims = payload as Record<string, unknown>;
    const tolerance = options.clockToleranceSeconds;
    if (typeof claims['iat'] === 'number' && claims['iat'] > Date.now() / 1000 + tolerance) return refuse('notYetValid');
    if (typeof claims['sub'] !== 'string' || claims['sub'] === '') return refuse('missingSubject');
    const scope = claims['scope'] ?? '';
    if (typeof claims['client_id'] !== 'string' || claims['client_id'] === '' || typeof scope !== 'string') return refuse('claims');
    if (claims['act'] !== undefined && !isActClaim(claims['act'])) return refuse('claims');
    if (typeof claims['iss'] !== 'string' || typeof claims['exp'] !== 'number' || claims['aud'] === undefined) return refuse('claims');
    return { accepted: true, claims };
  }

  /** Mostly `usual` (so that most tokens reach the later checks), sometimes one of `others`. */
  const mostly = <T>(usual: T, ...others: T[]) =>
    fc.oneof({ arbitrary: fc.constant(usual), weight: 3 * others.length }, { arbitrary: fc.constantFrom(...others), weight: others.length });
  const claimsArbitrary = fc.record({
    iss: mostly<unknown>('ISSUER', 'http://evil.example', undefined, 42),
    aud: mostly<unknown>('message-service', ['user-service', 'message-service'], 'user-service', ['user-service'], [], undefined, 7),
    sub: mostly<unknown>('alice', '', undefined, 12, null),
    exp: mostly<unknown>(600, -600, -2, 2, 'EDGE', undefined, 'soon', null),
    nbf: mostly<unknown>(undefined, -600, 600, 2, 'EDGE', 'now'),
    iat: mostly<unknown>(-60, undefined, 3, 600, 'then'),
    client_id: mostly<unknown>('demo-app', '', undefined, 5),
    scope: mostly<unknown>('message.read', 'message.read message.write', '', undefined, 9, ['message.read']),
    act: mostly<unknown>(undefined, { sub: 'user-service' }, { sub: 'user-service', act: { sub: 'gateway' } }, { sub: 3 }, 'user-service'),
  });
  const headerArbitrary = fc.record({
    typ: mostly<unknown>('at+jwt', 'AT+JWT', 'application/at+jwt', 'JWT', 'jwt', undefined, 5),
    algOverride: mostly<string | undefined>(undefined, 'none', 'HS256', 'ES384', 'PS256', 'RS256', 'EdDSA', 'ES512', 'Ed25519'),
    kidOverride: mostly<unknown>(undefined, 'unknown', 'es384', 'rs256', 7, null),
    crit: mostly<unknown>(undefined, ['exp'], []),
  });
  const tamperArbitrary = mostly(
    'none',
    'flipPayload',
    'flipSignature',
    'truncateSignature',
    'padSignature',
    'badPadding',
    'whitespace',
    'extraSegment',
    'twoSegments',
    'notBase64',
    'payloadNotJson',
    'payloadArray',
    'headerNotJson',
    'emptySignature',
    'stripSignature',
    'nonAscii',
    'headerBom',
    'payloadBom',
  );

  function build(
    key: SigningKey,
    claimsSpec: Record<string, unknown>,
    headerSpec: { typ: unknown; algOverride?: string; kidOverride?: unknown; crit?: unknown },
    tamper: string,
  ): string {
    const claims: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(claimsSpec)) {
      if (value === undefined) continue;
      if (name === 'iss') claims[name] = value === 'ISSUER' ? options.issuer : value;
      else if (['exp', 'nbf', 'iat'].includes(name) && typeof value === 'number') claims[name] = now() + value;
      // Exactly at the edge of the tolerance: `exp` expired (jose: exp <= now - tolerance), `nbf` valid.
      else if (value === 'EDGE') claims[name] = name === 'exp' ? now() - options.clockToleranceSeconds : now() + options.clockToleranceSeconds;
      else claims[name] = value;
    }
    const alg = headerSpec.algOverride ?? key.alg;
    const header: Record<string, unknown> = { alg };
    if (headerSpec.typ !== undefined) header['typ'] = headerSpec.typ;
    const kid = headerSpec.kidOverride === undefined ? key.kid : headerSpec.kidOverride;
    if (kid !== '') header['kid'] = kid;
    if (headerSpec.crit !== undefined) header['crit'] = headerSpec.crit;
    let encodedHeader = base64url(JSON.stringify(header));
    let encodedPayload = base64url(JSON.stringify(claims));
    if (tamper === 'payloadNotJson') encodedPayload = base64url('{"sub":');
    if (tamper === 'payloadArray') encodedPayload = base64url('["alice"]');
    if (tamper === 'headerNotJson') encodedHeader = base64url('{"alg":');
    if (tamper === 'headerBom') encodedHeader = base64url(`\ufeff${JSON.stringify(header)}`);
    if (tamper === 'payloadBom') encodedPayload = base64url(`\ufeff${JSON.stringify(claims)}`);
    // Sign with the key's own algorithm (a key cannot make another's signature), or none/HS256 by hand.
    const input = `${encodedHeader}.${encodedPayload}`;
    let signature =
      alg === 'none'
        ? Buffer.alloc(0)
        : alg === 'HS256'
          ? Buffer.from(JSON.stringify(jwks.keys[0]))
          : signJws(signingAlgorithmFor(key, alg), key.privateKey, input);
    if (tamper === 'flipSignature' && signature.length > 0) signature = Buffer.from(signature.map((byte, index) => (index === 3 ? byte ^ 1 : byte)));
    if (tamper === 'truncateSignature') signature = signature.subarray(0, Math.max(0, signature.length - 1));
    let encodedSignature = base64url(signature);
    if (tamper === 'padSignature') encodedSignature = signature.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    if (tamper === 'badPadding') encodedSignature = `${encodedSignature}=`;
    if (tamper === 'emptySignature') encodedSignature = '';
    if (tamper === 'notBase64') encodedSignature = `${encodedSignature.slice(0, 4)}+/${encodedSignature.slice(6)}`;
    if (tamper === 'flipPayload') encodedPayload = base64url(JSON.stringify({ ...claims, sub: 'mallory' }));
    if (tamper === 'nonAscii') encodedPayload = `${encodedPayload.slice(0, 8)}é${encodedPayload.slice(8)}`;
    if (tamper === 'whitespace') encodedPayload = `${encodedPayload.slice(0, 8)} ${encodedPayload.slice(8)}`;
    const token = `${encodedHeader}.${encodedPayload}.${encodedSignature}`;
    if (tamper === 'extraSegment') return `${token}.${encodedSignature}`;
    if (tamper === 'twoSegments') return `${encodedHeader}.${encodedPayload}`;
    if (tamper === 'stripSignature') return `${encodedHeader}.${encodedPayload}.`;
    return token;
  }

  it('gives every token the verdict the jose-based verifier gave it', async () => {
    const keyArbitrary = fc.constantFrom(...published, ...published, ...strangers);
    let accepted = 0;
    const refusals = new Set<string>();
    await fc.assert(
      fc.asyncProperty(keyArbitrary, claimsArbitrary, headerArbitrary, tamperArbitrary, async (key, claims, header, tamper) => {
        const token = build(key, claims, header, tamper);
        const [expected, actual] = [await reference(token), await ours(token)];
        expect({ token, verdict: actual }).toEqual({ token, verdict: expected });
        if (actual.accepted) accepted += 1;
        else refusals.add(actual.description);
      }),
      { numRuns: 1500, seed: SEED },
    );
    // The runs reach every stage: many tokens pass, and nearly every kind of refusal is met.
    expect(accepted).toBeGreaterThan(25);
    expect(refusals.size).toBeGreaterThanOrEqual(Object.keys(TOKEN_PROBLEMS).length - 1);
  });

  it('accepts what it must: every published key, with each typ spelling and an actor', async () => {
    for (const key of published.filter((candidate) => candidate.kid !== '' && candidate.kid !== 'weak')) {
      for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt']) {
        const token = build(
          key,
          { iss: 'ISSUER', aud: 'message-service', sub: 'alice', exp: 600, iat: -1, client_id: 'user-service', scope: 'message.read', act: { sub: 'user-service' } },
          { typ },
          'none',
        );
        const verdict = await ours(token);
        expect(verdict).toEqual(await reference(token));
        expect(verdict).toMatchObject({ accepted: true, claims: { sub: 'alice', act: { sub: 'user-service' } } });
      }
    }
  });
});

/** A token may name another algorithm than its key's; such a token is signed as its key can sign. */
function signingAlgorithmFor(key: SigningKey, alg: string): string {
  const family = (candidate: string) => (candidate.startsWith('ES') ? 'EC' : candidate === 'EdDSA' || candidate === 'Ed25519' ? 'OKP' : 'RSA');
  if (family(alg) !== family(key.alg)) return key.alg;
  if (alg === 'Ed25519') return 'EdDSA';
  return family(alg) === 'EC' ? key.alg : alg;
}

class UnknownKey extends Error {}

/** The header checks the verifier made before jose (lenient base64 as Buffer decodes it). */
function referenceHeaderProblem(token: string, algorithms: readonly string[]): TokenProblem | undefined {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.split('.', 1)[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    return 'malformed';
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return 'malformed';
  const { alg, kid, typ, crit } = header as Record<string, unknown>;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) return 'algorithm';
  if (typeof typ !== 'string' || !/^(application\/)?at\+jwt$/i.test(typ)) return 'type';
  if (kid !== undefined && typeof kid !== 'string') return 'malformed';
  if (crit !== undefined) return 'malformed';
  return undefined;
}

/** jose's error → the problem, as the jose-based verifier classified it. */
function referenceProblemOf(error: unknown): TokenProblem {
  const { code, claim, reason } = error as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'exp') return reason === 'missing' ? 'missingExpiry' : 'claims';
      if (claim === 'sub') return 'missingSubject';
      if (claim === 'iss') return 'issuer';
      if (claim === 'aud') return 'audience';
      if (claim === 'typ') return 'type';
      if (claim === 'nbf' || claim === 'iat') return reason === 'check_failed' ? 'notYetValid' : 'claims';
      return 'claims';
    default:
      return 'invalid';
  }
}
