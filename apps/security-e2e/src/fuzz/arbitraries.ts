import fc from 'fast-check';
import { base64url } from '../support/trusted-key';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE } from '../support/oauth-constants';

/**
 * A character an HTTP client can put in a header value: printable ASCII and Latin-1 (fetch sends
 * header values as bytes; CR, LF and NUL cannot be sent at all).
 */
const headerCharacter = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((code) => code < 0x7f || code >= 0xa0)
  .map((code) => String.fromCharCode(code));

export const headerText = fc.string({ unit: headerCharacter, maxLength: 120 }).map((text) => text.trim());

/** Random bytes, base64url: what a random opaque token looks like. */
const randomBase64url = fc.uint8Array({ maxLength: 256 }).map((bytes) => base64url(Buffer.from(bytes)));

const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'HS256', 'none', 'None', 'EdDSA', 'dir', ''];
const TYPES = ['at+jwt', 'application/at+jwt', 'JWT', 'AT+JWT', 'jwt', ''];

/** A JOSE header: plausible members mixed with random ones, or random JSON altogether. */
const joseHeader = fc.oneof(
  fc.record(
    {
      alg: fc.oneof(fc.constantFrom(...ALGORITHMS), fc.string({ maxLength: 10 })),
      typ: fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 10 })),
      kid: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 1 })),
      jku: fc.webUrl(),
      jwk: fc.dictionary(fc.constantFrom('kty', 'crv', 'x', 'y', 'n', 'e', 'k'), fc.string({ maxLength: 20 })),
      crit: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Claims: plausible members with random values, or random JSON. */
const claims = fc.oneof(
  fc.record(
    {
      iss: fc.oneof(fc.constant('http://localhost:9001'), fc.webUrl(), fc.jsonValue({ maxDepth: 1 })),
      sub: fc.oneof(fc.constantFrom('alice', 'bob', 'user-service'), fc.string({ maxLength: 20 })),
      aud: fc.oneof(fc.constantFrom('user-service', 'message-service'), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 })),
      client_id: fc.oneof(fc.constantFrom('demo-app', 'user-service'), fc.jsonValue({ maxDepth: 1 })),
      scope: fc.oneof(fc.constantFrom('user.read', 'message.read message.write'), fc.jsonValue({ maxDepth: 1 })),
      exp: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 12 })),
      nbf: fc.oneof(fc.integer(), fc.string({ maxLength: 12 })),
      act: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

const encodedJson = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> => value.map((json) => base64url(JSON.stringify(json) ?? 'null'));

/** Something shaped like a compact JWS: random JSON as its parts, a random (or no) signature. */
export const randomJwt = fc
  .tuple(
    fc.oneof(encodedJson(joseHeader), randomBase64url),
    fc.oneof(encodedJson(claims), randomBase64url),
    fc.oneof(randomBase64url, fc.constant('')),
    fc.constantFrom(3, 3, 3, 2, 4, 5),
  )
  .map(([header, payload, signature, parts]) => [header, payload, signature, 'AAAA', 'BBBB'].slice(0, parts).join('.'));

/** Any token: JWT-shaped, random bytes, or random text. */
export const randomToken = fc.oneof({ weight: 3, arbitrary: randomJwt }, { weight: 1, arbitrary: randomBase64url }, { weight: 1, arbitrary: headerText });

/** An Authorization header value: a scheme (or not), some spacing, a token. */
export const authorizationHeader = fc.oneof(
  { weight: 4, arbitrary: randomToken.map((token) => `Bearer ${token}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'DPoP', 'Token', 'Bearer,', ''), fc.constantFrom(' ', '  ', '\t', ''), randomToken)
      .map(([scheme, space, token]) => `${scheme}${space}${token}`.trim()),
  },
  { weight: 1, arbitrary: headerText },
);

const PARAMETER_NAMES = [
  'grant_type',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'client_id',
  'client_secret',
  'code',
  'code_verifier',
  'redirect_uri',
  'refresh_token',
];

const KNOWN_VALUES = [
  ACCESS_TOKEN_TYPE,
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:ietf:params:oauth:token-type:id_token',
  'urn:ietf:params:oauth:token-type:refresh_token',
  'message-service',
  'user-service',
  'http://localhost:8081',
  'http://localhost:8080',
  'message.read',
  'message.write',
  'user.read openid',
  'user-service',
  'demo-app',
];

/** A form value: unicode text, a known identifier, a token, or something oversized. */
const parameterValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN_VALUES) },
  { weight: 2, arbitrary: randomToken },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((length) => 'x'.repeat(length)) },
);

/** Extra parameters: known names (so duplicates happen) and random ones. */
export const extraParameters = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom(...PARAMETER_NAMES), fc.string({ maxLength: 12 })), parameterValue),
  { maxLength: 8 },
);

/** Grant types that can never succeed with random codes and tokens (client_credentials is left out). */
export const unsuccessfulGrantType = fc.oneof(
  fc.constantFrom(TOKEN_EXCHANGE, TOKEN_EXCHANGE, 'authorization_code', 'refresh_token', 'password', 'token-exchange', 'implicit', ''),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

export type ClientAuthentication = 'correct' | 'wrong-secret' | 'none' | 'garbage' | 'public-client' | 'unknown-client';
export const clientAuthentication = fc.constantFrom<ClientAuthentication>('correct', 'correct', 'wrong-secret', 'none', 'garbage', 'public-client', 'unknown-client');

/** A scope parameter: known scopes, random ones, in any order and number. */
export const scopeParameter = fc.oneof(
  fc
    .array(fc.oneof(fc.constantFrom('message.read', 'message.write', 'user.read', 'openid', 'profile', 'offline_access'), fc.string({ maxLength: 12 })), {
      maxLength: 4,
    })
    .map((scopes) => scopes.join(' ')),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

/** A target: audience and/or resource from the known ones, random ones, or none. */
export const targetParameters = fc.array(
  fc.tuple(
    fc.constantFrom('audience', 'resource'),
    fc.oneof(fc.constantFrom('message-service', 'user-service', 'http://localhost:8081', 'http://localhost:8080', 'https://attacker.example'), fc.string({ maxLength: 20 })),
  ),
  { maxLength: 3 },
);

export const requestedTokenType = fc.option(
  fc.oneof(fc.constantFrom(ACCESS_TOKEN_TYPE, 'urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:refresh_token'), fc.string({ maxLength: 20 })),
  { nil: undefined },
);
