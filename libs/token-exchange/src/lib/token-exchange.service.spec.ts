import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from './token-exchange.constants';
import { Logger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { createServer } from 'node:net';
import { FakeClock } from './testing/fake-clock';
import { HttpStub, StubHandler } from './testing/http-stub';
import { silentLogger } from './testing/silent-logger';
import { grantedAnswer, oauthError, unsignedAccessToken } from './testing/token-answers';
import { AuthServerUnavailableError } from './errors/auth-server-unavailable.error';
import { SubjectTokenRejectedError } from './errors/subject-token-rejected.error';
import { TokenExchangeMisconfiguredError } from './errors/token-exchange-misconfigured.error';
import { TokenExchangeError } from './errors/token-exchange.error';
import { TokenExchangeModule } from './token-exchange.module';
import { TokenExchangeModuleOptions } from './token-exchange.options';
import { TokenExchangeService } from './token-exchange.service';

const clock = new FakeClock();
const aliceExp = () => Math.floor(clock.now() / 1000) + 3600;
const alice = () => unsignedAccessToken({ sub: 'alice', exp: aliceExp(), jti: 'a1' });

let stub: HttpStub;
let moduleRef: TestingModule | undefined;

async function startService(
  handler: StubHandler,
  options: Partial<TokenExchangeModuleOptions> | ((stubUrl: string) => Partial<TokenExchangeModuleOptions>) = {},
): Promise<TokenExchangeService> {
  stub = await HttpStub.start(handler);
  const overrides = typeof options === 'function' ? options(stub.url) : options;
  moduleRef = await Test.createTestingModule({
    imports: [
      TokenExchangeModule.forRoot({
        tokenEndpoint: `${stub.url}/oauth2/token`,
        clientId: 'user-service',
        clientSecret: 'secret',
        clock,
        retryMaxDelayMs: 5,
        ...overrides,
      }),
    ],
  })
    .setLogger(silentLogger)
    .compile();
  return moduleRef.get(TokenExchangeService);
}

async function failureOf(promise: Promise<unknown>): Promise<TokenExchangeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenExchangeError) return error;
    throw error;
  }
  throw new Error('expected the exchange to fail');
}

afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
  await stub?.stop();
});

describe('TokenExchangeService.exchange', () => {
  it('sends an RFC 8693 request with client_secret_basic and returns the validated token', async () => {
    const service = await startService(grantedAnswer);
    const token = alice();
    const result = await service.exchange({ subjectToken: token, audience: 'message-service', scope: 'message.read' });

    expect(result).toEqual({
      accessToken: 'exchanged-1',
      tokenType: 'Bearer',
      issuedTokenType: TokenTypeUri.accessToken,
      expiresAt: clock.now() + 300_000,
      scope: 'message.read',
    });
    expect(Object.isFrozen(result)).toBe(true);
    const [request] = stub.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/oauth2/token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('user-service:secret').toString('base64')}`);
    expect(Object.fromEntries(request.form)).toEqual({
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: token,
      subject_token_type: TokenTypeUri.accessToken,
      audience: 'message-service',
      scope: 'message.read',
    });
  });

  it('form-encodes the client credentials before Basic encoding (RFC 6749 §2.3.1)', async () => {
    const service = await startService(grantedAnswer, { clientId: 'svc:1', clientSecret: 'p@ss word/+' });
    await service.exchange({ subjectToken: alice(), audience: 'message-service' });
    const decoded = Buffer.from((stub.requests[0].headers.authorization ?? '').slice(6), 'base64').toString();
    expect(decoded).toBe('svc%3A1:p%40ss+word%2F%2B');
  });

  it('sends resource, actor token and requested type when given', async () => {
    const service = await startService(grantedAnswer);
    await service.exchange({
      subjectToken: alice(),
      resource: 'http://localhost:8081',
      actorToken: 'actor-token',
      requestedTokenType: TokenTypeUri.accessToken,
    });
    const form = stub.requests[0].form;
    expect(form.get('resource')).toBe('http://localhost:8081');
    expect(form.get('audience')).toBeNull();
    expect(form.get('actor_token')).toBe('actor-token');
    expect(form.get('actor_token_type')).toBe(TokenTypeUri.accessToken);
    expect(form.get('requested_token_type')).toBe(TokenTypeUri.accessToken);
  });

  it('serves the next call from the cache', async () => {
    const service = await startService(grantedAnswer);
    const token = alice();
    const first = await service.exchange({ subjectToken: token, audience: 'message-service', scope: 'message.read' });
    const second = await service.exchange({ subjectToken: token, audience: 'message-service', scope: 'message.read' });
    expect(second).toBe(first);
    expect(stub.count).toBe(1);
    expect(service.counters()).toMatchObject({ exchangeRequests: 1, exchanges: 1, cacheHits: 1, cacheMisses: 1 });
  });

  it('treats scopes in another order as the same request', async () => {
    const service = await startService(grantedAnswer);
    const token = alice();
    await service.exchange({ subjectToken: token, audience: 'message-service', scope: 'message.write message.read' });
    await service.exchange({ subjectToken: token, audience: 'message-service', scope: ['message.read', 'message.write'] });
    expect(stub.count).toBe(1);
    expect(stub.requests[0].form.get('scope')).toBe('message.read message.write');
  });

  it('never lets two tokens of the same user share an entry (Spring keys by principal name)', async () => {
    const service = await startService(grantedAnswer);
    const older = unsignedAccessToken({ sub: 'alice', exp: aliceExp(), jti: 'first', scope: 'message.read' });
    const newer = unsignedAccessToken({ sub: 'alice', exp: aliceExp(), jti: 'second', scope: 'message.read message.write' });
    const one = await service.exchange({ subjectToken: older, audience: 'message-service' });
    const two = await service.exchange({ subjectToken: newer, audience: 'message-service' });
    expect(two.accessToken).not.toBe(one.accessToken);
    expect(stub.count).toBe(2);
    expect(stub.requests[1].form.get('subject_token')).toBe(newer);
  });

  it('keeps different scopes, audiences and actors apart', async () => {
    const service = await startService(grantedAnswer);
    const token = alice();
    const results = [
      await service.exchange({ subjectToken: token, audience: 'message-service', scope: 'message.read' }),
      await service.exchange({ subjectToken: token, audience: 'message-service', scope: 'message.write' }),
      await service.exchange({ subjectToken: token, audience: 'billing-service', scope: 'message.read' }),
      await service.exchange({ subjectToken: token, resource: 'message-service', scope: 'message.read' }),
      await service.exchange({ subjectToken: token, audience: 'message-service', scope: 'message.read', actorToken: 'x' }),
    ];
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(5);
    expect(stub.count).toBe(5);
  });

  it('makes exactly one request for 50 concurrent callers missing the same key, and all get its token', async () => {
    const service = await startService((request, index) => ({ ...(grantedAnswer(request, index) as object), status: 200, delayMs: 50 }));
    const token = alice();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => service.exchange({ subjectToken: token, audience: 'message-service' })),
    );
    expect(stub.count).toBe(1);
    expect(new Set(results.map((result) => result.accessToken))).toEqual(new Set(['exchanged-1']));
    expect(service.counters()).toMatchObject({ exchangeRequests: 1, cacheMisses: 50, singleFlightJoins: 49 });
  });

  it('gives all concurrent callers the one failure, and does not cache it', async () => {
    const service = await startService((request, index) =>
      index === 0 ? { ...(oauthError(400, 'invalid_request') as object), status: 400, delayMs: 50 } : grantedAnswer(request, index),
    );
    const token = alice();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => service.exchange({ subjectToken: token, audience: 'message-service' })),
    );
    expect(stub.count).toBe(1);
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof SubjectTokenRejectedError)).toBe(true);
    const retried = await service.exchange({ subjectToken: token, audience: 'message-service' });
    expect(retried.accessToken).toBe('exchanged-2');
    expect(stub.count).toBe(2);
    expect(service.counters().failures).toEqual({ invalid_request: 1 });
  });

  it('exchanges on every call when the cache is disabled', async () => {
    const service = await startService(grantedAnswer, { cacheEnabled: false });
    const token = alice();
    await Promise.all(
      Array.from({ length: 5 }, () => service.exchange({ subjectToken: token, audience: 'message-service' })),
    );
    await service.exchange({ subjectToken: token, audience: 'message-service' });
    expect(stub.count).toBe(6);
  });

  it('refuses a missing or oversized subject token before calling anyone', async () => {
    const service = await startService(grantedAnswer);
    await expect(service.exchange({ subjectToken: '', audience: 'message-service' })).rejects.toThrow(TypeError);
    await expect(service.exchange({ subjectToken: 'x'.repeat(20_000), audience: 'message-service' })).rejects.toThrow(
      TypeError,
    );
    expect(stub.count).toBe(0);
  });
});

describe('TokenExchangeService cache lifetime (injectable clock)', () => {
  it('uses a 5-minute token until 30 s before it expires', async () => {
    const service = await startService(grantedAnswer);
    const token = alice();
    const request = { subjectToken: token, audience: 'message-service' };
    await service.exchange(request);
    clock.advance(269_000);
    expect((await service.exchange(request)).accessToken).toBe('exchanged-1');
    clock.advance(2_000);
    expect((await service.exchange(request)).accessToken).toBe('exchanged-2');
    expect(stub.count).toBe(2);
  });

  it('keeps reusing a token that lives 20 s (skew 5 s), where a fixed 60 s skew would re-exchange every call', async () => {
    const service = await startService((request, index) => grantedAnswer(request, index, { expires_in: 20 }));
    const request = { subjectToken: alice(), audience: 'message-service' };
    await service.exchange(request);
    clock.advance(14_000);
    await service.exchange(request);
    expect(stub.count).toBe(1);
    clock.advance(2_000);
    await service.exchange(request);
    expect(stub.count).toBe(2);
  });

  it('stops using the exchanged token when the subject token is about to expire', async () => {
    const service = await startService(grantedAnswer);
    const shortLived = unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) + 60 });
    const request = { subjectToken: shortLived, audience: 'message-service' };
    await service.exchange(request);
    clock.advance(44_000);
    await service.exchange(request);
    expect(stub.count).toBe(1);
    clock.advance(2_000);
    await service.exchange(request);
    expect(stub.count).toBe(2);
  });

  it('returns but does not cache a token that is already unusable', async () => {
    const service = await startService(grantedAnswer);
    const expired = unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) - 1 });
    await service.exchange({ subjectToken: expired, audience: 'message-service' });
    await service.exchange({ subjectToken: expired, audience: 'message-service' });
    expect(stub.count).toBe(2);
    expect(service.counters().cacheSize).toBe(0);
  });

  it('caches opaque subject tokens by the issued token expiry alone', async () => {
    const service = await startService(grantedAnswer);
    const request = { subjectToken: 'opaque-token', audience: 'message-service' };
    await service.exchange(request);
    clock.advance(200_000);
    await service.exchange(request);
    expect(stub.count).toBe(1);
  });

  it('is bounded: the least recently used entry goes first', async () => {
    const service = await startService(grantedAnswer, { cacheSize: 2 });
    const tokens = ['t1', 't2', 't3'].map((jti) => unsignedAccessToken({ sub: 'alice', exp: aliceExp(), jti }));
    await service.exchange({ subjectToken: tokens[0], audience: 'message-service' });
    await service.exchange({ subjectToken: tokens[1], audience: 'message-service' });
    await service.exchange({ subjectToken: tokens[0], audience: 'message-service' }); // t1 is now recent
    await service.exchange({ subjectToken: tokens[2], audience: 'message-service' }); // evicts t2
    expect(stub.count).toBe(3);
    await service.exchange({ subjectToken: tokens[0], audience: 'message-service' });
    expect(stub.count).toBe(3);
    await service.exchange({ subjectToken: tokens[1], audience: 'message-service' });
    expect(stub.count).toBe(4);
    expect(service.counters()).toMatchObject({ cacheSize: 2, cacheEvictions: 2 });
  });

  it('invalidates an entry only while it still holds the refused token', async () => {
    const service = await startService(grantedAnswer);
    const request = { subjectToken: alice(), audience: 'message-service' };
    const first = await service.exchange(request);
    expect(service.invalidate(request, 'some-other-token')).toBe(false);
    expect(service.invalidate(request, first.accessToken)).toBe(true);
    const second = await service.exchange(request);
    expect(second.accessToken).toBe('exchanged-2');
    // A late 401 for the first token must not throw away the second.
    expect(service.invalidate(request, first.accessToken)).toBe(false);
    expect((await service.exchange(request)).accessToken).toBe('exchanged-2');
    expect(service.counters().invalidations).toBe(1);
  });
});

describe('TokenExchangeService errors', () => {
  const request = () => ({ subjectToken: alice(), audience: 'message-service' });

  it.each([
    ['invalid_request', 400],
    ['invalid_grant', 400],
  ])('maps %s (the subject token refused) to 401 invalid_token with WWW-Authenticate', async (code, status) => {
    const service = await startService(() => oauthError(status, code, 'subject token expired'));
    const error = await failureOf(service.exchange(request()));
    expect(error).toBeInstanceOf(SubjectTokenRejectedError);
    expect(error.getStatus()).toBe(401);
    expect(error.body).toEqual({ error: 'invalid_token', message: 'The access token was refused for token exchange' });
    expect(error.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token", error_description="token exchange refused"');
    expect(service.counters().failures).toEqual({ [code]: 1 });
  });

  it.each([
    ['invalid_client', 401],
    ['unauthorized_client', 400],
    ['invalid_target', 400],
    ['invalid_scope', 400],
    ['unsupported_grant_type', 400],
  ])('maps %s (a configuration problem) to 502 and logs it with the code', async (code, status) => {
    const service = await startService(() => oauthError(status, code, 'details for the operator'));
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const error = await failureOf(service.exchange(request()));
    expect(error).toBeInstanceOf(TokenExchangeMisconfiguredError);
    expect(error.getStatus()).toBe(502);
    expect(error.body).toEqual({
      error: 'token_exchange_failed',
      message: 'This service could not obtain a token for the next service',
    });
    expect(JSON.stringify(error.body)).not.toContain('details for the operator');
    expect(logged).toHaveBeenCalledWith(expect.stringContaining(`configuration error: ${code}`));
    expect(logged.mock.calls.join(' ')).not.toContain(request().subjectToken);
    expect(service.counters().failures).toEqual({ [code]: 1 });
    logged.mockRestore();
  });

  it.each([500, 502, 503])('maps a %s from the auth server to 503 with Retry-After, without a retry', async (status) => {
    const service = await startService(() => ({ status, body: 'upstream trouble' }));
    const error = await failureOf(service.exchange(request()));
    expect(error).toBeInstanceOf(AuthServerUnavailableError);
    expect(error.getStatus()).toBe(503);
    expect(error.body.error).toBe('auth_server_unavailable');
    expect(error.headers['Retry-After']).toBe('5');
    expect(stub.count).toBe(1);
  });

  it('passes on the auth server own Retry-After (429), within bounds', async () => {
    const service = await startService(() => ({ status: 429, body: {}, headers: { 'Retry-After': '7' } }));
    expect((await failureOf(service.exchange(request()))).headers['Retry-After']).toBe('7');
    stub.handler = () => ({ status: 503, body: {}, headers: { 'Retry-After': '99999' } });
    expect((await failureOf(service.exchange(request()))).headers['Retry-After']).toBe('300');
  });

  it.each([
    ['no issued_token_type', { issued_token_type: undefined }],
    ['an unusable issued_token_type', { issued_token_type: TokenTypeUri.refreshToken }],
    ['token_type N_A', { token_type: 'N_A' }],
    ['no expires_in', { expires_in: undefined }],
    ['expires_in 0', { expires_in: 0 }],
    ['negative expires_in', { expires_in: -5 }],
    ['expires_in as text', { expires_in: '300' }],
    ['expires_in of ten years', { expires_in: 315_360_000 }],
    ['no access_token', { access_token: undefined }],
    ['an access_token with a space', { access_token: 'a b' }],
    ['a scope wider than asked', { scope: 'message.read admin' }],
  ])('refuses a 200 with %s as 502 invalid_response', async (_label, overrides) => {
    const service = await startService((request, index) => grantedAnswer(request, index, overrides));
    const error = await failureOf(service.exchange({ ...request(), scope: 'message.read' }));
    expect(error).toBeInstanceOf(TokenExchangeMisconfiguredError);
    expect(error.getStatus()).toBe(502);
    expect(service.counters().failures).toEqual({ invalid_response: 1 });
    expect(service.counters().cacheSize).toBe(0);
  });

  it('refuses a 200 whose body is not JSON, and a type other than the one requested', async () => {
    const service = await startService(() => ({ status: 200, body: '<html>proxy</html>' }));
    expect((await failureOf(service.exchange(request()))).getStatus()).toBe(502);
    stub.handler = (recorded, index) => grantedAnswer(recorded, index, { issued_token_type: TokenTypeUri.jwt });
    const error = await failureOf(service.exchange({ ...request(), requestedTokenType: TokenTypeUri.accessToken }));
    expect(error.getStatus()).toBe(502);
  });

  it('gives up at its timeout with 503 and does not retry a timeout', async () => {
    const service = await startService(() => ({ status: 200, body: {}, delayMs: 3_000 }), { timeoutMs: 200 });
    const started = Date.now();
    const error = await failureOf(service.exchange(request()));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(AuthServerUnavailableError);
    expect((error as AuthServerUnavailableError).reason).toBe('timeout');
    expect(error.headers['Retry-After']).toBe('5');
    expect(stub.count).toBe(1);
  });

  it('retries once after a dropped connection, and succeeds', async () => {
    const service = await startService((recorded, index) => (index === 0 ? 'destroy' : grantedAnswer(recorded, index)));
    const result = await service.exchange(request());
    expect(result.accessToken).toBe('exchanged-2');
    expect(stub.count).toBe(2);
    expect(service.counters()).toMatchObject({ retries: 1, exchangeRequests: 2, exchanges: 1 });
  });

  it('retries only once: two dropped connections are a 503', async () => {
    const service = await startService(() => 'destroy');
    const error = await failureOf(service.exchange(request()));
    expect(error).toBeInstanceOf(AuthServerUnavailableError);
    expect((error as AuthServerUnavailableError).reason).toBe('network_error');
    expect(stub.count).toBe(2);
    expect(service.counters().failures).toEqual({ network_error: 1 });
  });

  it('answers 503 when nothing listens at the token endpoint', async () => {
    const closedPort = await unusedPort();
    const service = await startService(grantedAnswer, { tokenEndpoint: `http://127.0.0.1:${closedPort}/oauth2/token` });
    const error = await failureOf(service.exchange(request()));
    expect(error.getStatus()).toBe(503);
    expect(service.counters()).toMatchObject({ retries: 1, exchangeRequests: 2 });
  });
});

describe('TokenExchangeService discovery', () => {
  const discoveryHandler =
    (paths: Record<string, (url: string) => unknown>): StubHandler =>
    (request, index) => {
      if (request.path === '/oauth2/token') return grantedAnswer(request, index);
      const document = paths[request.path];
      return document ? { status: 200, body: document(stub.url) } : { status: 404, body: { error: 'not_found' } };
    };

  const startWithIssuer = (handler: StubHandler) =>
    startService(handler, (url) => ({ tokenEndpoint: undefined, issuer: url }));

  it('finds the token endpoint in the RFC 8414 document once', async () => {
    const service = await startWithIssuer(
      discoveryHandler({
        '/.well-known/oauth-authorization-server': (url) => ({ issuer: url, token_endpoint: `${url}/oauth2/token` }),
      }),
    );
    await service.exchange({ subjectToken: alice(), audience: 'message-service' });
    await service.exchange({ subjectToken: alice(), audience: 'other' });
    expect(stub.requests.map((request) => request.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/oauth2/token',
      '/oauth2/token',
    ]);
  });

  it('falls back to the OpenID document', async () => {
    const service = await startWithIssuer(
      discoveryHandler({
        '/.well-known/openid-configuration': (url) => ({ issuer: url, token_endpoint: `${url}/oauth2/token` }),
      }),
    );
    await service.exchange({ subjectToken: alice(), audience: 'message-service' });
    expect(stub.requests.map((request) => request.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/oauth2/token',
    ]);
  });

  it('refuses a document naming another issuer (502)', async () => {
    const service = await startWithIssuer(
      discoveryHandler({
        '/.well-known/oauth-authorization-server': () => ({
          issuer: 'https://evil.example',
          token_endpoint: 'https://evil.example/token',
        }),
      }),
    );
    const error = await failureOf(service.exchange({ subjectToken: alice(), audience: 'message-service' }));
    expect(error.getStatus()).toBe(502);
    expect(stub.requests.some((request) => request.path === '/oauth2/token')).toBe(false);
  });

  describe('[H05] a poisoned discovery document', () => {
    let elsewhere: HttpStub;

    beforeEach(async () => {
      elsewhere = await HttpStub.start(grantedAnswer);
    });

    afterEach(() => elsewhere.stop());

    it('[H05] never sends the client credentials to a token_endpoint off the issuer origin (502 discovery_invalid)', async () => {
      // The issuer's own document, as a poisoned shared cache serves it: right issuer, foreign endpoint.
      const service = await startWithIssuer(
        discoveryHandler({
          '/.well-known/oauth-authorization-server': (url) => ({ issuer: url, token_endpoint: `${elsewhere.url}/oauth2/token` }),
        }),
      );
      const error = await failureOf(service.exchange({ subjectToken: alice(), audience: 'message-service' }));
      expect(error).toBeInstanceOf(TokenExchangeMisconfiguredError);
      expect(error.getStatus()).toBe(502);
      expect((error as TokenExchangeMisconfiguredError).oauthError).toBe('discovery_invalid');
      expect(elsewhere.requests).toEqual([]);
      // Readiness probes do not follow it either.
      await expect(service.checkTokenEndpoint()).rejects.toBeInstanceOf(TokenExchangeMisconfiguredError);
      expect(elsewhere.requests).toEqual([]);
    });

    it('uses a token endpoint on another origin when that origin is configured', async () => {
      const service = await startService(
        discoveryHandler({
          '/.well-known/oauth-authorization-server': (url) => ({ issuer: url, token_endpoint: `${elsewhere.url}/oauth2/token` }),
        }),
        (url) => ({ tokenEndpoint: undefined, issuer: url, trustedTokenEndpointOrigins: [elsewhere.url] }),
      );
      await expect(service.exchange({ subjectToken: alice(), audience: 'message-service' })).resolves.toBeDefined();
      expect(elsewhere.requests.map((request) => request.path)).toEqual(['/oauth2/token']);
    });
  });

  it('answers 503 while discovery fails and tries again on the next call', async () => {
    let healthy = false;
    const service = await startWithIssuer((request, index) =>
      healthy
        ? discoveryHandler({
            '/.well-known/oauth-authorization-server': (url) => ({ issuer: url, token_endpoint: `${url}/oauth2/token` }),
          })(request, index)
        : { status: 503, body: {} },
    );
    const error = await failureOf(service.exchange({ subjectToken: alice(), audience: 'message-service' }));
    expect(error.getStatus()).toBe(503);
    healthy = true;
    await expect(service.exchange({ subjectToken: alice(), audience: 'message-service' })).resolves.toBeDefined();
  });
});

async function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
