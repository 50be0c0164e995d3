import { Body, Controller, Get, Headers, INestApplication, Post } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { TokenExchangeExceptionFilter } from '../errors/token-exchange-exception.filter';
import { FakeClock } from '../testing/fake-clock';
import { HttpStub, StubHandler } from '../testing/http-stub';
import { silentLogger } from '../testing/silent-logger';
import { grantedAnswer, oauthError, unsignedAccessToken } from '../testing/token-answers';
import { TokenExchangeModule } from '../token-exchange.module';
import { TokenExchangeModuleOptions } from '../token-exchange.options';
import { TokenExchangeService } from '../token-exchange.service';
import { DownstreamClients } from './downstream-clients.service';

/**
 * A small app that uses the lib as another team would: a controller that calls a configured
 * downstream for the caller. Everything goes over real HTTP: caller → app → stub auth server and
 * stub downstream.
 */
@Controller('api')
class ProxyController {
  constructor(private readonly downstreams: DownstreamClients) {}

  @Get('messages')
  async list(@Headers('authorization') authorization: string) {
    const response = await this.downstreams.get('messageService').request({
      subjectToken: authorization.slice('Bearer '.length),
      path: '/api/messages',
      query: { limit: 5, cursor: undefined },
    });
    return { status: response.status, data: response.data };
  }

  @Post('messages')
  async post(@Headers('authorization') authorization: string, @Body() body: unknown) {
    const response = await this.downstreams.get('messageService').request({
      subjectToken: authorization.slice('Bearer '.length),
      method: 'POST',
      path: '/api/messages',
      body,
      scope: 'message.write',
    });
    return { status: response.status, data: response.data };
  }
}

const clock = new FakeClock();
const alice = unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) + 3600, jti: 'alice-1' });

let authServer: HttpStub;
let messageService: HttpStub;
let app: INestApplication;
let baseUrl: string;

async function start(
  auth: StubHandler,
  downstream: StubHandler,
  options: Partial<TokenExchangeModuleOptions> = {},
  /** Whether the app registers the package's filter, as an app without a catch-all filter does. */
  withFilter = true,
): Promise<void> {
  authServer = await HttpStub.start(auth);
  messageService = await HttpStub.start(downstream);
  const moduleRef = await Test.createTestingModule({
    imports: [
      TokenExchangeModule.forRootAsync({
        useFactory: () => ({
          tokenEndpoint: `${authServer.url}/oauth2/token`,
          clientId: 'user-service',
          clientSecret: 'secret',
          clock,
          downstreams: {
            messageService: {
              baseUrl: messageService.url,
              audience: 'message-service',
              scope: 'message.read',
              timeoutMs: 300,
            },
          },
          ...options,
        }),
      }),
    ],
    controllers: [ProxyController],
    providers: withFilter ? [{ provide: APP_FILTER, useClass: TokenExchangeExceptionFilter }] : [],
  })
    .setLogger(silentLogger)
    .compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
}

const messagesOk: StubHandler = (request) => ({
  status: 200,
  body: { subject: 'alice', actor: 'user-service', messages: [], tokenSeen: request.headers.authorization },
});

interface ProxyBody {
  status?: number;
  data?: { tokenSeen?: string };
  error?: string;
  message?: string;
}

async function readBody(response: Response): Promise<ProxyBody> {
  return (await response.json()) as ProxyBody;
}

function get(path = '/api/messages'): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { headers: { Authorization: `Bearer ${alice}` } });
}

afterEach(async () => {
  await app?.close();
  await authServer?.stop();
  await messageService?.stop();
});

describe('DownstreamClient', () => {
  it('calls the downstream with the exchanged token, never the caller token', async () => {
    await start(grantedAnswer, messagesOk);
    const response = await get();
    expect(response.status).toBe(200);
    const body = await readBody(response);
    expect(body.data?.tokenSeen).toBe('Bearer exchanged-1');
    expect(messageService.requests[0].path).toBe('/api/messages?limit=5');
    expect(JSON.stringify(messageService.requests)).not.toContain(alice);
    expect(authServer.requests[0].form.get('subject_token')).toBe(alice);
    expect(authServer.requests[0].form.get('audience')).toBe('message-service');
    expect(authServer.requests[0].form.get('scope')).toBe('message.read');
  });

  it('reuses the exchanged token for the next calls', async () => {
    await start(grantedAnswer, messagesOk);
    await get();
    await get();
    await get();
    expect(authServer.count).toBe(1);
    expect(messageService.count).toBe(3);
  });

  it('posts JSON with a token for the scope of that call', async () => {
    await start(grantedAnswer, (request) => ({ status: 201, body: { echoed: JSON.parse(request.body) } }));
    const response = await fetch(`${baseUrl}/api/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: 'bob', text: 'hi' }),
    });
    expect(await readBody(response)).toEqual({ status: 201, data: { echoed: { to: 'bob', text: 'hi' } } });
    expect(messageService.requests[0].headers['content-type']).toBe('application/json');
    expect(authServer.requests[0].form.get('scope')).toBe('message.write');
  });

  it('on a downstream 401 drops the cached token, exchanges again and retries once', async () => {
    await start(grantedAnswer, (request) =>
      request.headers.authorization === 'Bearer exchanged-1'
        ? { status: 401, body: { error: 'invalid_token' }, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }
        : messagesOk(request, 0),
    );
    const response = await get();
    expect(response.status).toBe(200);
    expect((await readBody(response)).data?.tokenSeen).toBe('Bearer exchanged-2');
    expect(authServer.count).toBe(2);
    expect(messageService.count).toBe(2);
    // The fresh token is cached in place of the refused one.
    await get();
    expect(authServer.count).toBe(2);
    expect(app.get(TokenExchangeService).counters().invalidations).toBe(1);
  });

  it('answers 502 downstream_failed when the fresh token is refused too', async () => {
    await start(grantedAnswer, () => ({ status: 401, body: { error: 'invalid_token' } }));
    const response = await get();
    expect(response.status).toBe(502);
    expect(await readBody(response)).toEqual({ error: 'downstream_failed', message: 'message-service failed to answer' });
    expect(messageService.count).toBe(2);
    expect(authServer.count).toBe(2);
  });

  it('passes other 4xx answers to the caller', async () => {
    await start(grantedAnswer, () => ({ status: 400, body: { error: 'validation_failed', message: 'bad' } }));
    const response = await get();
    expect(await readBody(response)).toEqual({ status: 400, data: { error: 'validation_failed', message: 'bad' } });
  });

  it('answers 502 when the downstream fails with a 5xx or a body that is not JSON', async () => {
    await start(grantedAnswer, () => ({ status: 500, body: { error: 'internal' } }));
    expect((await get()).status).toBe(502);
    messageService.handler = () => ({ status: 200, body: '<html>not json</html>' });
    const response = await get();
    expect(response.status).toBe(502);
    expect((await readBody(response)).error).toBe('downstream_failed');
  });

  it('answers 503 with Retry-After within its timeout when the downstream hangs', async () => {
    await start(grantedAnswer, () => ({ status: 200, body: {}, delayMs: 5_000 }));
    const started = Date.now();
    const response = await get();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await readBody(response)).toEqual({
      error: 'downstream_unavailable',
      message: 'message-service is unavailable; try again later',
    });
  });

  it('answers 503 with Retry-After when the downstream is down', async () => {
    await start(grantedAnswer, messagesOk);
    await messageService.stop();
    const response = await get();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await readBody(response)).error).toBe('downstream_unavailable');
  });
});

describe('TokenExchangeModule HTTP answers for exchange failures', () => {
  it('401 invalid_token with WWW-Authenticate when the auth server refuses the subject token', async () => {
    await start(() => oauthError(400, 'invalid_request', 'subject token expired'), messagesOk);
    const response = await get();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="token exchange refused"',
    );
    expect(await readBody(response)).toEqual({
      error: 'invalid_token',
      message: 'The access token was refused for token exchange',
    });
    expect(messageService.count).toBe(0);
  });

  it('502 token_exchange_failed when the auth server refuses this service (invalid_target)', async () => {
    await start(() => oauthError(400, 'invalid_target', 'message-service not allowed'), messagesOk);
    const response = await get();
    expect(response.status).toBe(502);
    const body = await readBody(response);
    expect(body).toEqual({ error: 'token_exchange_failed', message: 'This service could not obtain a token for the next service' });
    expect(messageService.count).toBe(0);
  });

  it('503 auth_server_unavailable with Retry-After when the auth server is down', async () => {
    await start(grantedAnswer, messagesOk, { retryAfterSeconds: 3 });
    await authServer.stop();
    const response = await get();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await readBody(response)).toEqual({
      error: 'auth_server_unavailable',
      message: 'The auth server is unavailable; try again later',
    });
  });
});

describe('TokenExchangeModule in a host app', () => {
  it('installs no global filter: without the app registering one, errors keep status and body but not their headers', async () => {
    await start(grantedAnswer, messagesOk, { retryAfterSeconds: 3 }, false);
    await authServer.stop();
    const response = await get();
    expect(response.status).toBe(503);
    expect(await readBody(response)).toEqual({
      error: 'auth_server_unavailable',
      message: 'The auth server is unavailable; try again later',
    });
    // Nest's default handling: the Retry-After of the headers contract needs a filter that applies it.
    expect(response.headers.get('retry-after')).toBeNull();
  });
});

describe('DownstreamClients', () => {
  it('names the configured downstreams when asked for an unknown one', async () => {
    await start(grantedAnswer, messagesOk);
    expect(() => app.get(DownstreamClients).get('billing')).toThrow(
      'No downstream "billing" is configured (configured: messageService)',
    );
  });
});
