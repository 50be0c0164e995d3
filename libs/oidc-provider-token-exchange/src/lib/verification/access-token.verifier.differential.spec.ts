import { constants, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, JSONWebKeySet, JWTPayload, jwtVerify } from 'jose';
import { AccessTokenVerifier } from './access-token.verifier';
import { PublicJwk, VerificationKeys } from './verification-keys';

/**
 * Differential property test (issue 13): the grant keeps its hand-written JWS verification only
 * because it is faster (bench/auth-server/jws-verify.bench.mts), so it must judge every token as
 * jose's `jwtVerify` does. Random valid, tampered, re-headed (wrong alg, `none`, HS256), wrongly
 * keyed and malformed tokens get the same verdict from both, and the same claims when accepted.
 *
 * The reference is jose with the rules it can be told (issuer, `typ: at+jwt`, pinned algorithms,
 * required `exp`/`sub`/`aud`, keys chosen from the same JWKS by jose's `createLocalJWKSet`), plus
 * the few rules jose has no option for, written out in `joseVerdict`.
 */
const issuer = 'https://issuer.example';
const now = 1_800_000_000;
const SUPPORTED = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'];

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
}

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const strangerP256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const strangerEd = generateKeyPairSync('ed25519');

const published: SigningKey[] = [
  { kid: 'es256', alg: 'ES256', privateKey: p256.privateKey },
  { kid: 'es384', alg: 'ES384', privateKey: p384.privateKey },
  { kid: 'rs256', alg: 'RS256', privateKey: rsa.privateKey },
  // The same RSA key published a second time for PS256: a token may not switch between the two.
  { kid: 'ps256', alg: 'PS256', privateKey: rsa.privateKey },
  { kid: 'eddsa', alg: 'EdDSA', privateKey: ed.privateKey },
];
const jwks: PublicJwk[] = [
  { ...p256.publicKey.export({ format: 'jwk' }), kid: 'es256', alg: 'ES256', use: 'sig' },
  { ...p384.publicKey.export({ format: 'jwk' }), kid: 'es384', alg: 'ES384', use: 'sig' },
  { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rs256', alg: 'RS256', use: 'sig' },
  { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'ps256', alg: 'PS256', use: 'sig' },
  // No `alg` on this one: any algorithm fitting its key type may be used with it.
  { ...ed.publicKey.export({ format: 'jwk' }), kid: 'eddsa', use: 'sig' },
  // An encryption key is never a verification key.
  { ...strangerP256.publicKey.export({ format: 'jwk' }), kid: 'enc', use: 'enc' },
];
/** Keys a forger holds: not published, or published only for encryption. */
const strangers: SigningKey[] = [
  { kid: 'es256', alg: 'ES256', privateKey: strangerP256.privateKey },
  { kid: 'eddsa', alg: 'EdDSA', privateKey: strangerEd.privateKey },
  { kid: 'enc', alg: 'ES256', privateKey: strangerP256.privateKey },
  { kid: 'unknown', alg: 'ES256', privateKey: p256.privateKey },
];

/** jose's own key selection from the same JWKS: by `kid`, key type and curve, `alg` when the key names one, `use: sig`. */
const joseKeys = createLocalJWKSet({ keys: jwks } as JSONWebKeySet);
const handWritten = new AccessTokenVerifier({ issuer, keys: new VerificationKeys(() => jwks), now: () => now });

type Verdict = { accepted: true; claims: unknown } | { accepted: false };

function handWrittenVerdict(token: string): Verdict {
  try {
    return { accepted: true, claims: handWritten.verify(token, 'subject_token').claims };
  } catch {
    return { accepted: false };
  }
}

async function joseVerdict(token: string): Promise<Verdict> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      joseKeys,
      {
        issuer,
        typ: 'at+jwt',
        algorithms: SUPPORTED,
        requiredClaims: ['exp', 'sub', 'aud'],
        currentDate: new Date(now * 1000),
        clockTolerance: 0,
      },
    ));
  } catch {
    return { accepted: false };
  }
  // The rules jose has no option for: the provider's tokens always name their key (`kid`: jose
  // would pick the only key that fits), never carry a critical header parameter (jose knows
  // `b64`), are not issued in the future, and name a subject, an audience and a scope string.
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  if (typeof header['kid'] !== 'string') return { accepted: false };
  const { aud, sub, iat, scope } = payload as Record<string, unknown>;
  const audOk = (typeof aud === 'string' && aud !== '') || (Array.isArray(aud) && aud.length > 0 && aud.every((entry) => typeof entry === 'string' && entry !== ''));
  if (header['crit'] !== undefined) return { accepted: false };
  if (typeof sub !== 'string' || sub === '' || !audOk) return { accepted: false };
  if (iat !== undefined && (typeof iat !== 'number' || iat > now)) return { accepted: false };
  if (scope !== undefined && typeof scope !== 'string') return { accepted: false };
  return { accepted: true, claims: payload };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS signed with node:crypto, whatever the header says. */
function signCompact(header: Record<string, unknown>, payload: unknown, key: SigningKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const digest = key.alg.startsWith('Ed') ? null : `sha${key.alg.slice(2)}`;
  const signature = key.alg.startsWith('ES')
    ? sign(digest, Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : key.alg.startsWith('PS')
      ? sign(digest, Buffer.from(input), { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
      : sign(digest, Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

const claimValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
);
/** Claims of a token the provider would issue, mostly; then at times one or two of them spoilt. */
const validClaims = fc.record(
  {
    sub: fc.constantFrom('alice', 'bob'),
    aud: fc.constantFrom<string | string[]>('user-service', ['user-service', 'other']),
    exp: fc.integer({ min: now + 1, max: now + 3600 }),
    iat: fc.integer({ min: now - 100, max: now }),
    nbf: fc.integer({ min: now - 100, max: now }),
    scope: fc.constant('openid message.read'),
    jti: fc.string({ maxLength: 12 }),
    act: fc.constant({ sub: 'gateway' }),
  },
  { requiredKeys: ['sub', 'aud', 'exp'] },
);
const spoilt = fc.oneof(
  fc.record({ field: fc.constant('iss'), value: fc.oneof(fc.constantFrom(`${issuer}/`, 'https://evil.example', undefined), claimValue) }),
  fc.record({ field: fc.constant('sub'), value: fc.oneof(fc.constantFrom('', undefined), claimValue) }),
  fc.record({ field: fc.constant('aud'), value: fc.oneof(fc.constantFrom([], [''], ['a', 3], undefined), claimValue) }),
  fc.record({ field: fc.constant('exp'), value: fc.oneof(fc.constantFrom(now, now - 1, now + 0.5, `${now + 60}`, undefined), claimValue) }),
  fc.record({ field: fc.constant('nbf'), value: fc.oneof(fc.constantFrom(now + 1, now, `${now}`), claimValue) }),
  fc.record({ field: fc.constant('iat'), value: fc.oneof(fc.constantFrom(now + 1, now, `${now}`), claimValue) }),
  fc.record({ field: fc.constant('scope'), value: fc.oneof(fc.constantFrom('', 'a b', undefined), claimValue) }),
);
const claims = fc
  .tuple(validClaims, fc.oneof({ weight: 5, arbitrary: fc.constant([]) }, fc.array(spoilt, { minLength: 1, maxLength: 2 })))
  .map(([valid, changes]) => {
    const payload: Record<string, unknown> = { iss: issuer, ...valid };
    for (const { field, value } of changes) {
      if (value === undefined) delete payload[field];
      else payload[field] = value;
    }
    return payload;
  });
const header = fc.record(
  {
    typ: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT') }, fc.constantFrom('JWT', 'jwt', undefined)),
    kidChange: fc.oneof({ weight: 8, arbitrary: fc.constant('keep') }, fc.constantFrom('drop', 'unknown', 'enc', 'es256', 'rs256', 'ps256', 'eddsa')),
    algChange: fc.oneof({ weight: 8, arbitrary: fc.constant('keep') }, fc.constantFrom('none', 'HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'Ed25519', 'EdDSA')),
    crit: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.constantFrom(['b64'], ['exp'])),
  },
);

type Tamper = { kind: 'none' } | { kind: 'flip'; part: number; at: number; to: string } | { kind: 'segments'; count: number } | { kind: 'noise'; text: string };
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), part: fc.integer({ min: 0, max: 2 }), at: fc.nat(), to: fc.constantFrom(...BASE64URL, '=', '+', '.') }) },
  fc.record({ kind: fc.constant('segments' as const), count: fc.constantFrom(1, 2, 4) }),
  fc.record({ kind: fc.constant('noise' as const), text: fc.string({ unit: fc.constantFrom(...BASE64URL, '.', '='), maxLength: 60 }) }),
);

function applyTamper(token: string, change: Tamper): string {
  if (change.kind === 'none') return token;
  if (change.kind === 'noise') return change.text;
  const parts = token.split('.');
  if (change.kind === 'segments') return change.count < 3 ? parts.slice(0, change.count).join('.') : `${token}.${parts[2]}`;
  const part = parts[change.part] ?? '';
  const at = part.length === 0 ? 0 : change.at % part.length;
  parts[change.part] = `${part.slice(0, at)}${change.to}${part.slice(at + 1)}`;
  return parts.join('.');
}

const token = fc
  .record({
    key: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...published) }, fc.constantFrom(...strangers)),
    claims,
    header,
    tamper,
  })
  .map(({ key, claims: payload, header: changes, tamper: change }) => {
    const kid = changes.kidChange === 'keep' ? key.kid : changes.kidChange === 'drop' ? undefined : changes.kidChange;
    const alg = changes.algChange === 'keep' ? key.alg : changes.algChange;
    const protectedHeader: Record<string, unknown> = { alg, typ: changes.typ, kid };
    if (changes.crit !== undefined) Object.assign(protectedHeader, { crit: changes.crit, b64: true });
    return applyTamper(signCompact(protectedHeader, payload, key), change);
  });

describe('AccessTokenVerifier against jose jwtVerify (differential)', () => {
  it('gives every token the verdict jose gives, and the same claims when it accepts', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(token, async (candidate) => {
        const mine = handWrittenVerdict(candidate);
        const reference = await joseVerdict(candidate);
        expect(mine).toEqual(reference);
        if (mine.accepted) accepted += 1;
      }),
      // FUZZ_RUNS (as `npm run fuzz` sets it) for a longer search.
      { numRuns: Number(process.env['FUZZ_RUNS'] ?? 600) || 600 },
    );
    // The generator must reach both verdicts, or the property says little.
    expect(accepted).toBeGreaterThan(30);
  }, 60_000);

  it('agrees on untouched valid tokens of every published key', async () => {
    for (const key of published) {
      const valid = signCompact({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }, { iss: issuer, sub: 'alice', aud: 'user-service', exp: now + 60 }, key);
      expect(handWrittenVerdict(valid)).toEqual({ accepted: true, claims: { iss: issuer, sub: 'alice', aud: 'user-service', exp: now + 60 } });
      expect(await joseVerdict(valid)).toEqual(handWrittenVerdict(valid));
    }
  });
});
