import { Test, TestingModule } from '@nestjs/testing';
import { FakeClock } from './testing/fake-clock';
import { HttpStub, RecordedRequest, StubHandler } from './testing/http-stub';
import { silentLogger } from './testing/silent-logger';
import { grantedAnswer, oauthError, unsignedAccessToken } from './testing/token-answers';
import { DownstreamClients } from './downstream/downstream-clients.service';
import { AuthServerUnavailableError } from './errors/auth-server-unavailable.error';
import { TokenExchangeModule } from './token-exchange.module';
import { TokenExchangeModuleOptions } from './token-exchange.options';
import { ExchangeOutcome } from './telemetry/token-exchange.telemetry';
import { TokenExchangeService } from './token-exchange.service';

/** The hooks operators use: extra request headers, exchange outcomes, the token endpoint probe. */
const clock = new FakeClock();
const alice = () => unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) + 3600, jti: 'a1' });

let authServer: HttpStub;
let downstream: HttpStub;
let moduleRef: TestingModule;

async function start(
  handler: StubHandler,
  options: Partial<TokenExchangeModuleOptions> = {},
): Promise<{ service: TokenExchangeService; clients: DownstreamClients }> {
  authServer = await HttpStub.start(handler);
  downstream = await HttpStub.start(() => ({ status: 200, body: { ok: true } }));
  moduleRef = await Test.createTestingModule({
    imports: [
      TokenExchangeModule.forRoot({
        tokenEndpoint: `${authServer.url}/oauth2/token`,
        clientId: 'user-service',
        clientSecret: 'secret',
        clock,
        retryMaxDelayMs: 5,
        timeoutMs: 1_000,
        downstreams: { messageService: { baseUrl: downstream.url, audience: 'message-service' } },
        ...options,
      }),
    ],
  })
    .setLogger(silentLogger)
    .compile();
  return { service: moduleRef.get(TokenExchangeService), clients: moduleRef.get(DownstreamClients) };
}

afterEach(async () => {
  await moduleRef?.close();
  await authServer?.stop();
  await downstream?.stop();
});

describe('requestHeaders', () => {
  it('adds the extra headers to the exchange and the downstream call, read at each request', async () => {
    let requestId = 'req-1';
    const { clients } = await start(grantedAnswer, { requestHeaders: () => ({ 'x-request-id': requestId }) });
    await clients.get('messageService').request({ subjectToken: alice(), path: '/api/messages' });
    expect(authServer.requests[0]?.headers['x-request-id']).toBe('req-1');
    expect(downstream.requests[0]?.headers['x-request-id']).toBe('req-1');
    requestId = 'req-2';
    // Served from the cache: no exchange, but the downstream call carries the new id.
    await clients.get('messageService').request({ subjectToken: alice(), path: '/api/messages' });
    expect(authServer.count).toBe(1);
    expect(downstream.requests[1]?.headers['x-request-id']).toBe('req-2');
  });

  it('never lets them replace the credentials or the framing', async () => {
    const { clients } = await start(grantedAnswer, {
      requestHeaders: () => ({ AUTHORIZATION: 'Bearer stolen', 'content-type': 'text/evil', Accept: 'x/y', DPoP: 'forged.proof.x', 'x-request-id': 'ok' }),
    });
    await clients.get('messageService').request({ subjectToken: alice(), path: '/api/messages', method: 'POST', body: {} });
    const exchange = authServer.requests[0] as RecordedRequest;
    expect(exchange.headers['authorization']).toBe(`Basic ${Buffer.from('user-service:secret').toString('base64')}`);
    expect(exchange.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(exchange.headers['accept']).toBe('application/json');
    expect(exchange.headers['dpop']).toBeUndefined();
    const call = downstream.requests[0] as RecordedRequest;
    expect(call.headers['authorization']).toBe('Bearer exchanged-1');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['dpop']).toBeUndefined();
    expect(call.headers['x-request-id']).toBe('ok');
  });

  it('sends them to discovery too', async () => {
    const stub = await HttpStub.start((request) =>
      request.path === '/.well-known/oauth-authorization-server'
        ? { status: 200, body: { issuer: stub.url, token_endpoint: `${stub.url}/oauth2/token` } }
        : grantedAnswer(request, 0),
    );
    authServer = stub;
    downstream = await HttpStub.start(() => ({ status: 200 }));
    moduleRef = await Test.createTestingModule({
      imports: [
        TokenExchangeModule.forRoot({
          issuer: stub.url,
          clientId: 'user-service',
          clientSecret: 'secret',
          clock,
          requestHeaders: () => ({ 'x-request-id': 'discovering' }),
        }),
      ],
    })
      .setLogger(silentLogger)
      .compile();
    await moduleRef.get(TokenExchangeService).exchange({ subjectToken: alice(), audience: 'message-service' });
    expect(stub.requests.map((request) => [request.path, request.headers['x-request-id']])).toEqual([
      ['/.well-known/oauth-authorization-server', 'discovering'],
      ['/oauth2/token', 'discovering'],
    ]);
  });
});

describe('onExchange', () => {
  it('reports each exchange with the auth server, its duration and result, and not cache hits', async () => {
    const { service } = await start((request, index) =>
      index === 1 ? oauthError(400, 'invalid_target') : { ...(grantedAnswer(request, index) as { status: number }), delayMs: 30 },
    );
    const outcomes: ExchangeOutcome[] = [];
    const stop = service.onExchange((outcome) => outcomes.push(outcome));
    await service.exchange({ subjectToken: alice(), audience: 'message-service' });
    await service.exchange({ subjectToken: alice(), audience: 'message-service' });
    await expect(service.exchange({ subjectToken: alice(), audience: 'elsewhere' })).rejects.toThrow();
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['success', 'invalid_target']);
    expect(outcomes[0]?.durationMs).toBeGreaterThanOrEqual(25);
    expect(service.counters().failures).toEqual({ invalid_target: 1 });
    stop();
    await service.exchange({ subjectToken: alice(), audience: 'other' }).catch(() => undefined);
    expect(outcomes).toHaveLength(2);
  });
});

describe('checkTokenEndpoint', () => {
  it('answers with the endpoint and its status when it answers below 500, without issuing anything', async () => {
    const { service } = await start(() => ({ status: 405, body: { error: 'invalid_request' } }));
    await expect(service.checkTokenEndpoint()).resolves.toEqual({ endpoint: `${authServer.url}/oauth2/token`, status: 405 });
    expect(authServer.requests[0]?.method).toBe('GET');
    expect(service.counters().exchangeRequests).toBe(0);
  });

  it('rejects with AuthServerUnavailableError on a 5xx or when nothing answers', async () => {
    const { service } = await start(() => ({ status: 503 }));
    await expect(service.checkTokenEndpoint()).rejects.toBeInstanceOf(AuthServerUnavailableError);
    await authServer.stop();
    await expect(service.checkTokenEndpoint()).rejects.toMatchObject({ reason: 'network_error' });
    authServer = await HttpStub.start(() => ({ status: 200 }));
  });
});
