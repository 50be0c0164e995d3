import fc from 'fast-check';
import { basic, claimsOf, Reply, send } from '../support/http';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE } from '../support/oauth-constants';
import { SecuritySystem } from '../support/security-system';
import {
  authorizationHeader,
  ClientAuthentication,
  clientAuthentication,
  extraParameters,
  headerText,
  randomToken,
  requestedTokenType,
  scopeParameter,
  targetParameters,
  unsuccessfulGrantType,
} from './arbitraries';
import { fuzzParameters, fuzzTimeout } from './fuzz-settings';

/** RFC 6749 §5.2: `error` and `error_description` use only %x20-21 / %x23-5B / %x5D-7E. */
const OAUTH_ERROR_CHARACTERS = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
const DESCRIPTION = '[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]+';
const METADATA = 'resource_metadata="http://localhost:\\d+/\\.well-known/oauth-protected-resource"';
const BEARER = `Bearer realm="(user-service|message-service)"(, error="(invalid_request|invalid_token)", error_description="${DESCRIPTION}")?, ${METADATA}`;
const DPOP = `DPoP realm="message-service"(, error="(invalid_request|invalid_token|invalid_dpop_proof)", error_description="${DESCRIPTION}")?, algs="[A-Za-z0-9 ]+", ${METADATA}`;
/**
 * RFC 6750 §3 challenge; message-service, which takes DPoP-bound tokens (RFC 9449 §7.1), adds its
 * DPoP challenge when no token came, and answers a `DPoP` Authorization with a DPoP challenge.
 */
const CHALLENGE = new RegExp(`^(${BEARER}(, ${DPOP})?|${DPOP})$`);

/** A refusal by the token endpoint that a client can read: 4xx, JSON, RFC 6749 error members, no token. */
function expectOAuthError(reply: Reply): void {
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.status).toBeLessThan(500);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.json?.['error']).toMatch(OAUTH_ERROR_CHARACTERS);
  const description = reply.json?.['error_description'];
  if (description !== undefined) expect(description).toMatch(OAUTH_ERROR_CHARACTERS);
  expect(reply.json).not.toHaveProperty('access_token');
  if (reply.status === 401) expect(reply.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
  if (reply.status === 429) expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
}

function authenticate(kind: ClientAuthentication, garbage: string): { headers: Record<string, string>; form: [string, string][] } {
  switch (kind) {
    case 'correct':
      return { headers: { authorization: basic('user-service', 'secret') }, form: [] };
    case 'wrong-secret':
      return { headers: { authorization: basic('user-service', 'not-the-secret') }, form: [] };
    case 'unknown-client':
      return { headers: { authorization: basic('ghost-service', 'secret') }, form: [] };
    case 'garbage':
      return { headers: { authorization: `Basic ${garbage}` }, form: [] };
    case 'public-client':
      return { headers: {}, form: [['client_id', 'demo-app']] };
    case 'none':
      return { headers: {}, form: [] };
  }
}

const scopesOf = (scope: unknown): string[] => (typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []);

/** Both outcomes of a property that may grant: counted, so a test can check both happened. */
interface Outcomes {
  granted: number;
  refused: number;
}

/**
 * POSTs a token request as user-service. A refusal must be a well-formed OAuth error (and gives
 * `undefined`); a grant gives the issued token's claims for the caller to check.
 */
/**
 * A token request as user-service; `dpop`: with a DPoP proof of the system's key, as the demo's
 * user-service client must send on exchanges (without one every exchange is refused).
 */
async function requestAsUserService(
  form: [string, string][],
  outcomes: Outcomes,
  dpop = false,
): Promise<{ claims: Record<string, unknown>; reply: Reply } | undefined> {
  const reply = dpop
    ? await system().exchange(form)
    : await send(system().tokenEndpoint, { headers: { authorization: basic('user-service', 'secret') }, form });
  if (reply.status !== 200) {
    outcomes.refused += 1;
    expectOAuthError(reply);
    return undefined;
  }
  outcomes.granted += 1;
  return { claims: claimsOf(String(reply.json?.['access_token'])), reply };
}

let running: SecuritySystem | undefined;
const system = (): SecuritySystem => {
  if (running === undefined) throw new Error('the system is not started');
  return running;
};

/**
 * Property-based tests of the token endpoint and of both resource servers' Authorization handling,
 * against the real processes. Seeded and bounded here; `npm run fuzz` runs them much longer.
 */
describe('fuzzing', () => {
  beforeAll(async () => {
    // The per-client token rate limit and the failed-client-authentication limit per address have
    // their own tests; here they would only turn fuzz cases into 429s.
    running = await SecuritySystem.start({
      authServerEnv: { AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '0', AUTH_SERVER_CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: '0' },
    });
  });

  afterAll(() => running?.stop());

  it(
    'resource servers: any Authorization header is refused with 400/401, an RFC 6750 challenge and a JSON error',
    async () => {
      await fc.assert(
        fc.asyncProperty(authorizationHeader, async (authorization) => {
          for (const server of system().resourceServers) {
            const reply = await system().knock(server, authorization);
            expect([400, 401]).toContain(reply.status);
            expect(reply.headers.get('www-authenticate')).toMatch(CHALLENGE);
            expect(reply.headers.get('www-authenticate')).toContain(`realm="${server.audience}"`);
            expect(['invalid_request', 'invalid_token', 'unauthorized']).toContain(reply.json?.['error']);
            expect(typeof reply.json?.['message']).toBe('string');
          }
        }),
        fuzzParameters(150),
      );
    },
    fuzzTimeout(150),
  );

  it(
    'token endpoint: random grants, client authentications, duplicated and oversized parameters never get a token',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          unsuccessfulGrantType,
          clientAuthentication,
          headerText,
          randomToken,
          extraParameters,
          async (grantType, authentication, garbage, subjectToken, extra) => {
            const client = authenticate(authentication, garbage);
            const form: [string, string][] = [
              ['grant_type', grantType],
              ['subject_token', subjectToken],
              ['subject_token_type', ACCESS_TOKEN_TYPE],
              ['audience', 'message-service'],
              ...client.form,
              ...extra,
            ];
            expectOAuthError(await send(system().tokenEndpoint, { headers: client.headers, form }));
          },
        ),
        fuzzParameters(150),
      );
    },
    fuzzTimeout(150),
  );

  it(
    'token exchange: whatever the scope, targets and extras, a granted token never exceeds the policy or the subject token',
    async () => {
      const subjectExp = Math.floor(Date.now() / 1000) + 600;
      const subject = system().validToken('user-service', { scope: 'user.read message.read', exp: subjectExp });
      const outcomes: Outcomes = { granted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.option(scopeParameter, { nil: undefined }),
          // Mostly the one target user-service may ask for, so that grants happen and get checked.
          fc.oneof({ weight: 3, arbitrary: fc.constant<[string, string][]>([['audience', 'message-service']]) }, { weight: 2, arbitrary: targetParameters }),
          requestedTokenType,
          fc.oneof({ weight: 2, arbitrary: fc.constant<[string, string][]>([]) }, { weight: 1, arbitrary: extraParameters }),
          async (scope, targets, requested, extra) => {
            const form: [string, string][] = [
              ['grant_type', TOKEN_EXCHANGE],
              ['subject_token', subject],
              ['subject_token_type', ACCESS_TOKEN_TYPE],
              ...targets,
              ...(scope === undefined ? [] : [['scope', scope] as [string, string]]),
              ...(requested === undefined ? [] : [['requested_token_type', requested] as [string, string]]),
              ...extra,
            ];
            const granted = await requestAsUserService(form, outcomes, true);
            if (granted === undefined) return;
            const { claims, reply } = granted;
            expect(claims).toMatchObject({ iss: system().auth.issuer, sub: 'alice', aud: 'message-service', act: { sub: 'user-service' } });
            // Bound to the key that made the proof (RFC 9449 §6.1).
            expect(claims['cnf']).toEqual({ jkt: system().dpopKey.thumbprint });
            expect(scopesOf(claims['scope']).every((granted) => ['message.read'].includes(granted))).toBe(true);
            expect(claims['exp']).toBeLessThanOrEqual(subjectExp);
            expect(reply.json).not.toHaveProperty('refresh_token');
          },
        ),
        fuzzParameters(120),
      );
      // Both branches ran: the policy assertions above were not vacuous.
      expect(outcomes.granted).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(120),
  );

  it(
    'client_credentials: whatever the scope, resource and extras, a granted token stays within the client’s scopes',
    async () => {
      const outcomes: Outcomes = { granted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(fc.option(scopeParameter, { nil: undefined }), targetParameters, extraParameters, async (scope, targets, extra) => {
          const form: [string, string][] = [
            ['grant_type', 'client_credentials'],
            ...targets.filter(([name]) => name === 'resource'),
            ...(scope === undefined ? [] : [['scope', scope] as [string, string]]),
            ...extra.filter(([name]) => name !== 'grant_type'),
          ];
          const granted = await requestAsUserService(form, outcomes);
          if (granted === undefined) return;
          const { claims } = granted;
          expect(claims).toMatchObject({ iss: system().auth.issuer, sub: 'user-service', client_id: 'user-service' });
          const allowed = claims['aud'] === 'user-service' ? ['user.read', 'message.read', 'message.write'] : ['message.read', 'message.write'];
          expect(['user-service', 'message-service']).toContain(claims['aud']);
          expect(scopesOf(claims['scope']).every((granted) => allowed.includes(granted))).toBe(true);
        }),
        fuzzParameters(100),
      );
      expect(outcomes.granted).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(100),
  );
});
