import { MessageListResponse, MessageResponse, TokenSet, UserIdentity } from '@baton/dto';
import { AppProcess, AuthServerHarness, freePort, startAuthServer } from '@baton/testing';
import { TokenExchangeService } from '@baton/token-exchange';
import { INestApplication } from '@nestjs/common';
import { startUserService } from './support/start-user-service';

/**
 * The chain for real: the built auth server (demo configuration, the token-exchange grant) and
 * the built message-service run as processes; user-service runs in this process so its
 * exchange counters can be read. Tokens come from the auth server: client_credentials (the
 * seed's walkthrough) and alice's and bob's logins (authorization code + PKCE).
 */

let auth: AuthServerHarness;
let messageService: AppProcess;
let messageServicePort: number;
let app: INestApplication;
let baseUrl: string;
let exchange: TokenExchangeService;

async function startMessageService(): Promise<AppProcess> {
  return AppProcess.start({
    app: 'message-service',
    env: {
      MESSAGE_SERVICE_PORT: String(messageServicePort),
      AUTH_ISSUER: auth.issuer,
      MESSAGE_SERVICE_DATABASE: ':memory:',
      // The URL user-service calls it at: user-service's DPoP proofs name it (htu).
      MESSAGE_SERVICE_PUBLIC_URL: `http://127.0.0.1:${messageServicePort}`,
    },
    healthUrl: `http://127.0.0.1:${messageServicePort}/health`,
  });
}

function call(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
  });
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Audit lines of granted exchanges the auth server has written so far. */
function grantedExchanges(): number {
  return auth.process.logs.split('\n').filter((line) => line.includes('"token_exchange"') && line.includes('"granted"'))
    .length;
}

beforeAll(async () => {
  // LOG_LEVEL info: the auth server's audit lines (one per exchange) are part of what is checked.
  auth = await startAuthServer({ env: { LOG_LEVEL: 'info' } });
  messageServicePort = await freePort();
  messageService = await startMessageService();
  ({ app, url: baseUrl } = await startUserService({
    AUTH_ISSUER: auth.issuer,
    MESSAGE_SERVICE_URL: `http://127.0.0.1:${messageServicePort}`,
    TOKEN_EXCHANGE_TIMEOUT_MS: '2000',
    DOWNSTREAM_TIMEOUT_MS: '2000',
  }));
  exchange = app.get(TokenExchangeService);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await messageService?.stop();
  await auth?.stop();
});

describe('the seed walkthrough', () => {
  it('a client_credentials token for user-service reads messages through the exchange', async () => {
    const token = await auth.clientCredentials({ clientId: 'user-service', clientSecret: 'secret' });
    const response = await call('/api/users/messages', token.access_token);
    expect(response.status).toBe(200);
    expect(await json<MessageListResponse>(response)).toEqual({
      subject: 'user-service',
      actor: 'user-service',
      messages: [],
      nextCursor: null,
    });
  });
});

describe('alice through user-service', () => {
  let alice: TokenSet;

  beforeAll(async () => {
    alice = await auth.login('alice', 'alice-password');
  });

  it('GET /api/users/me answers alice as the token says', async () => {
    const response = await call('/api/users/me', alice.access_token);
    expect(response.status).toBe(200);
    const identity = await json<UserIdentity>(response);
    expect(identity).toMatchObject({ sub: 'alice', clientId: 'demo-app', act: null });
    expect(identity.scopes).toEqual(expect.arrayContaining(['user.read', 'message.read', 'message.write']));
  });

  it("GET /api/users/messages answers alice's messages, received through user-service", async () => {
    const response = await call('/api/users/messages', alice.access_token);
    expect(response.status).toBe(200);
    const body = await json<MessageListResponse>(response);
    expect(body.subject).toBe('alice');
    expect(body.actor).toBe('user-service');
    expect(body.messages.length).toBeGreaterThan(0);
    expect(body.messages.every((message) => message.to === 'alice')).toBe(true);
  });

  it('passes limit and cursor on, and refuses a bad limit before any exchange', async () => {
    const first = await json<MessageListResponse>(await call('/api/users/messages?limit=1', alice.access_token));
    expect(first.messages).toHaveLength(1);
    const before = exchange.counters().exchangeRequests;
    const refused = await call('/api/users/messages?limit=0', alice.access_token);
    expect(refused.status).toBe(400);
    expect(await json<{ error: string }>(refused)).toMatchObject({ error: 'validation_failed' });
    expect(exchange.counters().exchangeRequests).toBe(before);
  });

  it('POST /api/users/messages sends as alice; bob reads it through user-service', async () => {
    const text = `hello bob ${Date.now()}`;
    const posted = await call('/api/users/messages', alice.access_token, {
      method: 'POST',
      body: JSON.stringify({ to: 'bob', text }),
    });
    expect(posted.status).toBe(201);
    expect(await json<MessageResponse>(posted)).toMatchObject({ from: 'alice', to: 'bob', text });

    const bob = await auth.login('bob', 'bob-password');
    const inbox = await json<MessageListResponse>(await call('/api/users/messages', bob.access_token));
    expect(inbox.subject).toBe('bob');
    expect(inbox.messages).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'alice', text })]));
  });

  it('POST with an invalid body is refused with 400 validation_failed', async () => {
    const response = await call('/api/users/messages', alice.access_token, {
      method: 'POST',
      body: JSON.stringify({ to: 'bob', text: '', extra: true }),
    });
    expect(response.status).toBe(400);
    const body = await json<{ error: string; fields: { field: string }[] }>(response);
    expect(body.error).toBe('validation_failed');
    expect(body.fields.map((entry) => entry.field).sort()).toEqual(['extra', 'text']);
  });

  it('a token without message.read gets 403 insufficient_scope and causes no exchange', async () => {
    const readOnly = await auth.login('alice', 'alice-password', { scope: 'openid user.read' });
    const before = exchange.counters().exchangeRequests;
    const response = await call('/api/users/messages', readOnly.access_token);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="user-service", error="insufficient_scope", scope="message.read", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource"',
    );
    expect(await json<{ error: string }>(response)).toMatchObject({ error: 'insufficient_scope' });
    expect(exchange.counters().exchangeRequests).toBe(before);
  });

  it('a token for message-service is refused by user-service (401 invalid_token)', async () => {
    const wrongAudience = await auth.login('alice', 'alice-password', { resource: 'message-service', scope: 'message.read' });
    const response = await call('/api/users/messages', wrongAudience.access_token);
    expect(response.status).toBe(401);
    expect(await json<{ error: string }>(response)).toMatchObject({ error: 'invalid_token' });
  });
});

describe('the exchange cache against the real auth server', () => {
  it('[H16] 100 concurrent first calls by one user make exactly one exchange', async () => {
    const alice = await auth.login('alice', 'alice-password');
    const requestsBefore = exchange.counters().exchangeRequests;
    const auditBefore = grantedExchanges();
    const responses = await Promise.all(Array.from({ length: 100 }, () => call('/api/users/messages', alice.access_token)));
    const failed = await Promise.all(responses.filter((response) => response.status !== 200).map(async (response) => `${response.status} ${await response.text()}`));
    expect(failed).toEqual([]);
    expect(exchange.counters().exchangeRequests - requestsBefore).toBe(1);
    // The auth server's side: one audit line for one exchange. Lines come through a pipe and may
    // take seconds on a loaded machine: the bound only keeps a missing line from hanging the test.
    const started = performance.now();
    while (grantedExchanges() - auditBefore < 1 && performance.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));
    expect(grantedExchanges() - auditBefore).toBe(1);
  });

  it('a new token for the same user gets its own exchange (never the old token’s)', async () => {
    const first = await auth.login('alice', 'alice-password');
    const second = await auth.login('alice', 'alice-password', { scope: 'openid message.read' });
    await call('/api/users/messages', first.access_token);
    const before = exchange.counters().exchangeRequests;
    const response = await call('/api/users/messages', second.access_token);
    expect(response.status).toBe(200);
    expect(exchange.counters().exchangeRequests - before).toBe(1);
  });
});

// These stop servers: they run last.
describe('when a server is down', () => {
  it('[H16] message-service down: 503 downstream_unavailable with Retry-After, without hanging', async () => {
    const alice = await auth.login('alice', 'alice-password');
    await messageService.stop();
    try {
      const started = Date.now();
      const response = await call('/api/users/messages', alice.access_token);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await json<{ error: string }>(response)).toMatchObject({ error: 'downstream_unavailable' });
    } finally {
      messageService = await startMessageService();
    }
    // A process stopped and started again: how long that takes is the machine's business, not the verdict.
  }, 60_000);

  it('[H16] auth server down: a cached exchange still serves; a new token gets 503 auth_server_unavailable', async () => {
    const cached = await auth.login('alice', 'alice-password');
    const fresh = await auth.login('alice', 'alice-password');
    expect((await call('/api/users/messages', cached.access_token)).status).toBe(200);
    // user-service has the JWKS already; only the exchange needs the auth server.
    await auth.stop();
    try {
      expect((await call('/api/users/messages', cached.access_token)).status).toBe(200);
      const response = await call('/api/users/messages', fresh.access_token);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await json<{ error: string }>(response)).toEqual({
        error: 'auth_server_unavailable',
        message: 'The auth server is unavailable; try again later',
      });
    } finally {
      await auth.restart();
    }
  }, 60_000);
});
