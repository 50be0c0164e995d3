import { TokenExchangeService } from '@baton/token-exchange';
import { INestApplication } from '@nestjs/common';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { startUserService } from './support/start-user-service';

/**
 * user-service as a whole (its real module, filters, guards and pipes) against a stand-in auth
 * server and message-service on one local HTTP server, to provoke the failures the real ones
 * cannot be made to show on demand: a refused subject token, a misconfigured client, an auth
 * server answering 503, a message-service that hangs. Real tokens: ES256, served by a JWKS.
 */

type Answer = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

interface Received {
  path: string;
  authorization: string | undefined;
  form: URLSearchParams;
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'test-key';

let server: Server;
let baseUrl: string;
const sockets = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();
const received: Received[] = [];
let tokenAnswer: (form: URLSearchParams, index: number) => Answer;
let messagesAnswer: () => Answer;
let app: INestApplication;
let appUrl: string;

function granted(form: URLSearchParams, index: number): Answer {
  return {
    status: 200,
    body: {
      access_token: `exchanged-${index}`,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: form.get('scope'),
    },
  };
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString());
  const path = request.url ?? '/';
  received.push({ path, authorization: request.headers.authorization, form });
  let answer: Answer;
  if (path === '/jwks') {
    answer = { status: 200, body: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] } };
  } else if (path === '/oauth2/token') {
    answer = tokenAnswer(form, received.filter((entry) => entry.path === '/oauth2/token').length);
  } else if (path.startsWith('/api/messages')) {
    answer = messagesAnswer();
  } else {
    answer = { status: 404, body: { error: 'not_found' } };
  }
  if (answer.delayMs) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, answer.delayMs);
      timers.add(timer);
    });
  }
  if (response.destroyed) return;
  response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
  response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
}

async function mint(claims: Record<string, unknown> = {}): Promise<string> {
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: 'demo-app', scope: 'user.read message.read message.write', jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(baseUrl)
    .setAudience('user-service')
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

function get(path: string, token: string): Promise<Response> {
  return fetch(`${appUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
}

const tokenRequests = () => received.filter((entry) => entry.path === '/oauth2/token');
const messageRequests = () => received.filter((entry) => entry.path.startsWith('/api/messages'));

beforeAll(async () => {
  server = createServer((request, response) => void handle(request, response));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ app, url: appUrl } = await startUserService({
    AUTH_ISSUER: baseUrl,
    AUTH_JWKS_URI: `${baseUrl}/jwks`,
    AUTH_TOKEN_ENDPOINT: `${baseUrl}/oauth2/token`,
    MESSAGE_SERVICE_URL: baseUrl,
    TOKEN_EXCHANGE_TIMEOUT_MS: '500',
    DOWNSTREAM_TIMEOUT_MS: '300',
  }));
});

beforeEach(() => {
  received.length = 0;
  tokenAnswer = granted;
  messagesAnswer = () => ({ status: 200, body: { subject: 'alice', actor: 'user-service', messages: [], nextCursor: null } });
  app.get(TokenExchangeService).clearCache();
});

afterAll(async () => {
  await app?.close();
  for (const timer of timers) clearTimeout(timer);
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('user-service routes', () => {
  it('GET /api/users/me answers the identity in the token', async () => {
    const response = await get('/api/users/me', await mint({ act: { sub: 'gateway' } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      sub: 'alice',
      clientId: 'demo-app',
      scopes: ['user.read', 'message.read', 'message.write'],
      act: { sub: 'gateway' },
    });
    expect(tokenRequests()).toHaveLength(0);
  });

  it('GET /api/users/messages sends message-service the exchanged token, never the caller token', async () => {
    const token = await mint();
    const response = await get('/api/users/messages?limit=5', token);
    expect(response.status).toBe(200);
    expect(tokenRequests()[0].form.get('subject_token')).toBe(token);
    expect(tokenRequests()[0].form.get('audience')).toBe('message-service');
    expect(tokenRequests()[0].form.get('scope')).toBe('message.read');
    expect(messageRequests()).toEqual([
      expect.objectContaining({ path: '/api/messages?limit=5', authorization: 'Bearer exchanged-1' }),
    ]);
  });

  it('refuses a bad query with 400 validation_failed before any exchange', async () => {
    const response = await get('/api/users/messages?limit=1000', await mint());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'validation_failed' });
    expect(tokenRequests()).toHaveLength(0);
  });

  it('refuses a token without message.read with 403 insufficient_scope before any exchange', async () => {
    const response = await get('/api/users/messages', await mint({ scope: 'user.read' }));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="user-service", error="insufficient_scope", scope="message.read", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource"',
    );
    expect(tokenRequests()).toHaveLength(0);
  });
});

describe('user-service answers when the exchange fails', () => {
  it('401 invalid_token with WWW-Authenticate when the auth server refuses the subject token', async () => {
    tokenAnswer = () => ({ status: 400, body: { error: 'invalid_request', error_description: 'subject token revoked' } });
    const response = await get('/api/users/messages', await mint());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="token exchange refused"',
    );
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      message: 'The access token was refused for token exchange',
    });
    expect(messageRequests()).toHaveLength(0);
  });

  it('502 token_exchange_failed when the auth server refuses this client (invalid_client)', async () => {
    tokenAnswer = () => ({ status: 401, body: { error: 'invalid_client' } });
    const response = await get('/api/users/messages', await mint());
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: 'token_exchange_failed',
      message: 'This service could not obtain a token for the next service',
    });
  });

  it('503 auth_server_unavailable with Retry-After when the auth server answers 503', async () => {
    tokenAnswer = () => ({ status: 503, body: {}, headers: { 'Retry-After': '12' } });
    const response = await get('/api/users/messages', await mint());
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('12');
    expect(await response.json()).toEqual({
      error: 'auth_server_unavailable',
      message: 'The auth server is unavailable; try again later',
    });
  });

  it('503 within TOKEN_EXCHANGE_TIMEOUT_MS when the auth server hangs', async () => {
    tokenAnswer = () => ({ status: 200, body: {}, delayMs: 10_000 });
    const started = Date.now();
    const response = await get('/api/users/messages', await mint());
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
  });
});

describe('user-service answers when message-service fails', () => {
  it('503 downstream_unavailable with Retry-After within DOWNSTREAM_TIMEOUT_MS when it hangs', async () => {
    messagesAnswer = () => ({ status: 200, body: {}, delayMs: 10_000 });
    const started = Date.now();
    const response = await get('/api/users/messages', await mint());
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({
      error: 'downstream_unavailable',
      message: 'message-service is unavailable; try again later',
    });
  });

  it('502 downstream_failed when it answers 500', async () => {
    messagesAnswer = () => ({ status: 500, body: { error: 'internal_error', message: 'boom' } });
    const response = await get('/api/users/messages', await mint());
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: 'downstream_failed', message: 'message-service failed to answer' });
  });

  it('re-exchanges once when it refuses the exchanged token, then succeeds', async () => {
    messagesAnswer = () =>
      messageRequests().length === 1
        ? { status: 401, body: { error: 'invalid_token', message: 'expired' } }
        : { status: 200, body: { subject: 'alice', actor: 'user-service', messages: [], nextCursor: null } };
    const response = await get('/api/users/messages', await mint());
    expect(response.status).toBe(200);
    expect(tokenRequests()).toHaveLength(2);
    expect(messageRequests().map((entry) => entry.authorization)).toEqual(['Bearer exchanged-1', 'Bearer exchanged-2']);
  });
});
