import { randomBytes } from 'node:crypto';
import { base64url, encodeJson } from '../support/trusted-key';
import { AttackContext, HEADER_INJECTION, TERMINAL_INJECTION } from './attack-context';
import {
  deeplyNested,
  derEncodedSignature,
  hmacSign,
  replaceSegment,
  signWith,
  withSignature,
} from './forge';

/** `error_description` values of the resource servers' 401 challenges (their fixed vocabulary). */
export const TOKEN_REFUSALS = {
  malformed: 'The access token is malformed',
  algorithm: 'The access token is signed with an algorithm that is not accepted',
  type: 'The token is not an access token (typ must be at+jwt)',
  unknownKey: 'The access token is signed by an unknown key',
  signature: 'The access token signature is invalid',
  expired: 'The access token has expired',
  notYetValid: 'The access token is not valid yet',
  missingExpiry: 'The access token has no expiry',
  issuer: 'The access token was not issued by the trusted issuer',
  audience: 'The access token is not meant for this service',
  missingSubject: 'The access token has no subject',
  claims: 'The access token has malformed claims',
  invalid: 'The access token is invalid',
} as const;

export type TokenRefusal = keyof typeof TOKEN_REFUSALS;

/**
 * An attack carried by the token itself. It is sent to both resource servers as
 * `Authorization: Bearer <token>` (expecting 401 invalid_token with the given description), and,
 * unless `exchange` says otherwise, to the token-exchange grant as user-service's subject_token
 * (expecting 400 invalid_request).
 */
export interface TokenAttack {
  readonly id: string;
  readonly title: string;
  /** Where the attack comes from (RFC section, OWASP, jwt_tool mode, PortSwigger lab, CVE). */
  readonly source: string;
  /** The token, built for `context.audience` (the party under attack). */
  token(context: AttackContext): string;
  /** The resource servers' refusal. */
  readonly refusal: TokenRefusal;
  /** Whether the exchange grant is attacked too (default true). */
  readonly exchange?: boolean;
}

const HOUR = 3600;
const now = (): number => Math.floor(Date.now() / 1000);

export const TOKEN_ATTACKS: readonly TokenAttack[] = [
  // --- the signature and its algorithm ---
  {
    id: 'T01',
    title: 'alg none, signature removed',
    source: 'RFC 8725 §2.1, §3.1; RFC 9068 §4; ASVS 5 V9.1; jwt_tool -X a; PortSwigger "flawed signature verification"',
    token: ({ system, audience }) => withSignature(system.accessTokenHeader({ alg: 'none' }), system.accessTokenClaims(audience), ''),
    refusal: 'algorithm',
  },
  {
    id: 'T02',
    title: 'alg "nOnE" (case variant), signature removed',
    source: 'jwt_tool -X a (None/NONE/nOnE); RFC 8725 §3.1',
    token: ({ system, audience }) => withSignature(system.accessTokenHeader({ alg: 'nOnE' }), system.accessTokenClaims(audience), ''),
    refusal: 'algorithm',
  },
  {
    id: 'T03',
    title: 'alg none with the original signature kept',
    source: 'RFC 8725 §2.1; RFC 7518 §3.6 (none must be explicitly allowed)',
    token: ({ system, audience }) => replaceSegment(system.validToken(audience), 0, encodeJson(system.accessTokenHeader({ alg: 'none' }))),
    refusal: 'algorithm',
  },
  {
    id: 'T04',
    title: 'signature stripped (alg ES256, empty signature)',
    source: 'RFC 7515 §5.2; RFC 8725 §3.3; PortSwigger "unverified signature"',
    token: ({ system, audience }) => replaceSegment(system.validToken(audience), 2, ''),
    refusal: 'signature',
  },
  {
    id: 'T05',
    title: 'two-part token (no signature segment at all)',
    source: 'RFC 7515 §7.1 (three parts); jwt_tool -X n',
    token: ({ system, audience }) => system.validToken(audience).split('.').slice(0, 2).join('.'),
    refusal: 'malformed',
  },
  {
    id: 'T06',
    title: 'algorithm confusion: HS256 keyed with the public key (PEM)',
    source: 'RFC 8725 §2.1, §3.1; ASVS 5 V9.1; jwt_tool -X k; PortSwigger "algorithm confusion"; CVE-2015-9235',
    token: ({ system, audience }) => hmacSign(system.key.publicPem, system.accessTokenHeader({ alg: 'HS256' }), system.accessTokenClaims(audience)),
    refusal: 'algorithm',
  },
  {
    id: 'T07',
    title: 'algorithm confusion: HS256 keyed with the published JWK (JSON)',
    source: 'PortSwigger "algorithm confusion with no exposed key"; RFC 8725 §3.1',
    token: ({ system, audience }) =>
      hmacSign(JSON.stringify(system.key.publicJwk), system.accessTokenHeader({ alg: 'HS256' }), system.accessTokenClaims(audience)),
    refusal: 'algorithm',
  },
  {
    id: 'T08',
    title: 'psychic signature: ECDSA r = s = 0',
    source: 'CVE-2022-21449; jwt_tool -X p; RFC 8725 §3.4 (validate cryptographic inputs)',
    token: ({ system, audience }) => withSignature(system.accessTokenHeader(), system.accessTokenClaims(audience), Buffer.alloc(64)),
    refusal: 'signature',
  },
  {
    id: 'T09',
    title: 'ES256 signature in ASN.1 DER instead of raw R||S',
    source: 'RFC 7518 §3.4 (JWS ECDSA signatures are R||S); RFC 8725 §3.4',
    token: ({ system, audience }) => derEncodedSignature(system.validToken(audience)),
    // jose (issue 13) reports a DER signature as a failed signature check, as it is.
    refusal: 'signature',
  },
  {
    id: 'T10',
    title: 'claims tampered (sub alice → bob), original signature kept',
    source: 'PortSwigger "unverified signature"; RFC 7515 §5.2; ASVS 5 V9.1',
    token: ({ system, audience }) => replaceSegment(system.validToken(audience), 1, encodeJson(system.accessTokenClaims(audience, { sub: 'bob' }))),
    refusal: 'signature',
  },
  {
    id: 'T11',
    title: 'signed by the attacker, claiming the server’s kid',
    source: 'RFC 8725 §3.10 (do not trust received claims); ASVS 5 V9.1.3',
    token: ({ system, audience, attackerKey }) => signWith(attackerKey.privateKey, system.accessTokenHeader(), system.accessTokenClaims(audience)),
    refusal: 'signature',
  },
  {
    id: 'T12',
    title: 'signed by the attacker, unknown kid (JWKS refetch is rate-limited)',
    source: 'RFC 8725 §3.10; OpenID Connect Core §10.1.1 (refetch on unknown kid)',
    token: ({ system, audience, attackerKey }) =>
      signWith(attackerKey.privateKey, system.accessTokenHeader({ kid: attackerKey.kid }), system.accessTokenClaims(audience)),
    refusal: 'unknownKey',
  },
  {
    id: 'T13',
    title: 'signed by the attacker, no kid (the single server key is tried)',
    source: 'RFC 7515 §4.1.4; RFC 8725 §3.10',
    token: ({ system, audience, attackerKey }) =>
      signWith(attackerKey.privateKey, { alg: 'ES256', typ: 'at+jwt' }, system.accessTokenClaims(audience)),
    refusal: 'signature',
  },
  // --- key-selecting header parameters ---
  {
    id: 'T14',
    title: 'embedded jwk header with the attacker’s key',
    source: 'RFC 7515 §4.1.3; RFC 8725 §3.10; ASVS 5 V9.1.3; jwt_tool -X i; PortSwigger "jwk header injection"',
    token: ({ system, audience, attackerKey }) =>
      signWith(attackerKey.privateKey, system.accessTokenHeader({ kid: attackerKey.kid, jwk: attackerKey.publicJwk }), system.accessTokenClaims(audience)),
    refusal: 'unknownKey',
  },
  {
    id: 'T15',
    title: 'embedded jwk header with the attacker’s key under the server’s kid',
    source: 'RFC 8725 §3.10; PortSwigger "jwk header injection"',
    token: ({ system, audience, attackerKey }) =>
      signWith(attackerKey.privateKey, system.accessTokenHeader({ jwk: { ...attackerKey.publicJwk, kid: system.key.kid } }), system.accessTokenClaims(audience)),
    refusal: 'signature',
  },
  {
    id: 'T16',
    title: 'jku header pointing at the attacker’s JWKS (never fetched)',
    source: 'RFC 7515 §4.1.2; RFC 8725 §3.10 (SSRF); ASVS 5 V9.1.3; jwt_tool -X s; PortSwigger "jku header injection"',
    token: ({ system, audience, attackerKey, attackerServer }) =>
      signWith(
        attackerKey.privateKey,
        system.accessTokenHeader({ kid: attackerKey.kid, jku: `${attackerServer.url}/jwks.json` }),
        system.accessTokenClaims(audience),
      ),
    refusal: 'unknownKey',
  },
  {
    id: 'T17',
    title: 'x5u header pointing at the attacker (never fetched)',
    source: 'RFC 7515 §4.1.5; RFC 8725 §3.10; ASVS 5 V9.1.3',
    token: ({ system, audience, attackerKey, attackerServer }) =>
      signWith(
        attackerKey.privateKey,
        system.accessTokenHeader({ kid: attackerKey.kid, x5u: `${attackerServer.url}/cert.pem` }),
        system.accessTokenClaims(audience),
      ),
    refusal: 'unknownKey',
  },
  {
    id: 'T18',
    title: 'x5c header carrying the attacker’s certificate chain',
    source: 'RFC 7515 §4.1.6; RFC 8725 §3.10',
    token: ({ system, audience, attackerKey }) =>
      signWith(
        attackerKey.privateKey,
        system.accessTokenHeader({ kid: attackerKey.kid, x5c: [randomBytes(300).toString('base64')] }),
        system.accessTokenClaims(audience),
      ),
    refusal: 'unknownKey',
  },
  {
    id: 'T19',
    title: 'kid path traversal to /dev/null, HS256 with an empty key',
    source: 'PortSwigger "kid header path traversal"; RFC 8725 §3.10; jwt_tool injection playbook',
    token: ({ system, audience }) =>
      hmacSign(Buffer.alloc(0), system.accessTokenHeader({ alg: 'HS256', kid: '../../../../../../../dev/null' }), system.accessTokenClaims(audience)),
    refusal: 'algorithm',
  },
  {
    id: 'T20',
    title: 'kid SQL injection returning a known secret, HS256',
    source: 'RFC 8725 §3.10 (kid used in a database lookup); OWASP JWT cheat sheet',
    token: ({ system, audience }) =>
      hmacSign('secret', system.accessTokenHeader({ alg: 'HS256', kid: "x' UNION SELECT 'secret' -- " }), system.accessTokenClaims(audience)),
    refusal: 'algorithm',
  },
  {
    id: 'T21',
    title: 'kid path traversal with an ES256 signature by the attacker',
    source: 'RFC 8725 §3.10',
    token: ({ system, audience, attackerKey }) =>
      signWith(attackerKey.privateKey, system.accessTokenHeader({ kid: '../../../../etc/passwd' }), system.accessTokenClaims(audience)),
    refusal: 'unknownKey',
  },
  {
    id: 'T22',
    title: 'kid carrying CR LF and terminal escapes (header and log injection)',
    source: 'RFC 9110 §5.5 (no CR/LF in field values); OWASP logging cheat sheet (log injection)',
    token: ({ system, audience, attackerKey }) =>
      signWith(attackerKey.privateKey, system.accessTokenHeader({ kid: `${HEADER_INJECTION}${TERMINAL_INJECTION}` }), system.accessTokenClaims(audience)),
    refusal: 'unknownKey',
  },
  {
    id: 'T23',
    title: 'crit header naming an extension the server does not understand',
    source: 'RFC 7515 §4.1.11 (must reject); RFC 7797 (b64)',
    token: ({ system, audience }) =>
      system.key.sign(system.accessTokenHeader({ crit: ['b64'], b64: false }), system.accessTokenClaims(audience)),
    refusal: 'malformed',
  },
  // --- explicit typing: another kind of JWT signed by the same key ---
  {
    id: 'T24',
    title: 'typ JWT (an ID-token-shaped JWT signed by the server’s key)',
    source: 'RFC 8725 §2.8, §3.11; RFC 9068 §2.1, §4; ASVS 5 V9.2.2',
    token: ({ system, audience }) => system.validToken(audience, {}, { typ: 'JWT' }),
    refusal: 'type',
  },
  {
    id: 'T25',
    title: 'no typ header',
    source: 'RFC 9068 §4 (typ must be at+jwt); RFC 8725 §3.11',
    token: ({ system, audience }) => system.key.sign({ alg: 'ES256', kid: system.key.kid }, system.accessTokenClaims(audience)),
    refusal: 'type',
  },
  {
    id: 'T26',
    title: 'a real ID token from a real login used as access token',
    source: 'RFC 8725 §2.8 (cross-JWT confusion); ASVS 5 V9.2.2; RFC 9068 §4',
    token: ({ alice }) => alice.id_token ?? '',
    refusal: 'type',
  },
  {
    id: 'T27',
    title: 'a real refresh token used as access token',
    source: 'RFC 6749 §1.5; RFC 9700 §4.14; ASVS 5 V9.2.2',
    token: ({ alice }) => alice.refresh_token ?? '',
    refusal: 'malformed',
  },
  // --- claims ---
  {
    id: 'T28',
    title: 'expired (exp an hour ago)',
    source: 'RFC 7519 §4.1.4; RFC 9068 §4; ASVS 5 V9.2.1',
    token: ({ system, audience }) => system.validToken(audience, { iat: now() - 2 * HOUR, exp: now() - HOUR }),
    refusal: 'expired',
  },
  {
    id: 'T29',
    title: 'not yet valid (nbf in an hour)',
    source: 'RFC 7519 §4.1.5; ASVS 5 V9.2.1',
    token: ({ system, audience }) => system.validToken(audience, { nbf: now() + HOUR }),
    refusal: 'notYetValid',
  },
  {
    id: 'T30',
    title: 'no exp at all (a token that never expires)',
    source: 'RFC 9068 §2.2 (exp required); RFC 8725 §3.10',
    token: ({ system, audience }) => system.validToken(audience, { exp: undefined }),
    refusal: 'missingExpiry',
  },
  {
    id: 'T31',
    title: 'exp as a string',
    source: 'RFC 7519 §2 (NumericDate); RFC 8725 §3.4',
    token: ({ system, audience }) => system.validToken(audience, { exp: String(now() + HOUR) }),
    refusal: 'claims',
  },
  {
    id: 'T32',
    title: 'issuer of another server',
    source: 'RFC 8725 §3.8; RFC 9068 §4; ASVS 5 V10.3.3',
    token: ({ system, audience }) => system.validToken(audience, { iss: 'https://attacker.example' }),
    refusal: 'issuer',
  },
  {
    id: 'T33',
    title: 'issuer with a trailing slash (not the exact iss)',
    source: 'RFC 8414 §3.3 / RFC 9068 §4 (exact match)',
    token: ({ system, audience }) => system.validToken(audience, { iss: `${system.auth.issuer}/` }),
    refusal: 'issuer',
  },
  {
    id: 'T34',
    title: 'no iss',
    source: 'RFC 9068 §2.2 (iss required); RFC 8725 §3.8',
    token: ({ system, audience }) => system.validToken(audience, { iss: undefined }),
    refusal: 'issuer',
  },
  {
    id: 'T35',
    title: 'audience confusion: a token of this server for the other service',
    source: 'RFC 8725 §3.9; RFC 9068 §4; RFC 9700 §2.3, §4.10; ASVS 5 V9.2.3, V10.3.1',
    token: ({ system, otherAudience }) => system.validToken(otherAudience),
    refusal: 'audience',
  },
  {
    id: 'T36',
    title: 'audience confusion with real tokens (user-service’s at message-service, the exchanged one at user-service)',
    source: 'RFC 8693 §5; RFC 9700 §2.3; DESIGN: replay of an exchanged token',
    token: ({ audience, alice, aliceExchanged }) => (audience === 'user-service' ? aliceExchanged : alice.access_token),
    refusal: 'audience',
  },
  {
    id: 'T37',
    title: 'user-service’s client_credentials token at the other service',
    source: 'RFC 9700 §2.3 (audience-restricted tokens); RFC 6749 §4.4',
    token: ({ audience, serviceToken, system }) =>
      audience === 'user-service' ? system.validToken('user-service', { aud: 'message-service', sub: 'user-service', client_id: 'user-service' }) : serviceToken,
    refusal: 'audience',
  },
  {
    id: 'T38',
    title: 'aud array without this service',
    source: 'RFC 7519 §4.1.3; RFC 8725 §3.9',
    token: ({ system, audience }) => system.validToken(audience, { aud: ['demo-app', 'another-service'] }),
    refusal: 'audience',
  },
  {
    id: 'T39',
    title: 'no aud',
    source: 'RFC 9068 §2.2 (aud required); RFC 8725 §3.9',
    token: ({ system, audience }) => system.validToken(audience, { aud: undefined }),
    refusal: 'audience',
  },
  {
    id: 'T40',
    title: 'no sub',
    source: 'RFC 9068 §2.2 (sub required); RFC 8725 §3.8',
    token: ({ system, audience }) => system.validToken(audience, { sub: undefined }),
    refusal: 'missingSubject',
  },
  {
    id: 'T41',
    title: 'no client_id',
    source: 'RFC 9068 §2.2 (client_id required)',
    token: ({ system, audience }) => system.validToken(audience, { client_id: undefined }),
    refusal: 'claims',
    exchange: false,
  },
  {
    id: 'T42',
    title: 'scope as a JSON array instead of a string',
    source: 'RFC 9068 §2.2.3; RFC 8693 §4.2',
    token: ({ system, audience }) => system.validToken(audience, { scope: ['user.read', 'message.read'] }),
    refusal: 'claims',
  },
  {
    id: 'T43',
    title: 'act claim that is not an object (forged delegation)',
    source: 'RFC 8693 §4.1',
    token: ({ system, audience }) => system.validToken(audience, { act: 'user-service' }),
    refusal: 'claims',
  },
  // --- encodings ---
  {
    id: 'T44',
    title: 'header with a UTF-8 byte order mark',
    source: 'RFC 8725 §3.7 (UTF-8); RFC 8259 §8.1 (no BOM)',
    token: ({ system, audience }) =>
      `${base64url(`\ufeff${JSON.stringify(system.accessTokenHeader())}`)}.${encodeJson(system.accessTokenClaims(audience))}.${base64url(Buffer.alloc(64, 1))}`,
    refusal: 'malformed',
  },
  {
    id: 'T45',
    title: 'JWE (five parts) instead of a JWS',
    source: 'RFC 7516 §7.1; RFC 8725 §2.3',
    token: ({ system, audience }) =>
      [encodeJson({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' }), '', base64url(randomBytes(12)), encodeJson(system.accessTokenClaims(audience)), base64url(randomBytes(16))].join('.'),
    refusal: 'algorithm',
  },
  {
    id: 'T46',
    title: 'header that is not a JSON object',
    source: 'RFC 7515 §5.2 step 3',
    token: ({ system, audience }) => `${encodeJson(['ES256'])}.${encodeJson(system.accessTokenClaims(audience))}.${base64url(Buffer.alloc(64, 1))}`,
    refusal: 'malformed',
  },
  {
    id: 'T47',
    title: 'payload nested 4,000 levels deep, garbage signature',
    source: 'RFC 8725 §2.6; OWASP ASVS 5 V1 (parser resource exhaustion)',
    token: ({ system, audience }) => {
      const header = system.accessTokenHeader();
      const claims = JSON.stringify(system.accessTokenClaims(audience)).replace(/}$/, `,"x":${deeplyNested(4_000)}}`);
      return `${encodeJson(header)}.${base64url(claims)}.${base64url(Buffer.alloc(64, 7))}`;
    },
    refusal: 'signature',
  },
  {
    id: 'T48',
    title: 'iat a year in the future [H14]',
    source: 'RFC 7519 §4.1.6; RFC 8725 §3.10 (do not trust received claims); jose jwtVerify ("iat" must not be in the future); issue 11 H14',
    token: ({ system, audience }) => {
      const year = 365 * 24 * HOUR;
      return system.validToken(audience, { iat: now() + year, exp: now() + year + 300 });
    },
    refusal: 'notYetValid',
  },
];

