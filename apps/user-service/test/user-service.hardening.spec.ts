import { INestApplication } from '@nestjs/common';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { startUserService } from './support/start-user-service';

/**
 * user-service as a whole (its real AppModule) against a stand-in auth server on a local HTTP
 * server: the attacks of issue 11 on its resource-server and token-exchange sides (a poisoned
 * discovery document, a wall clock stepped back, a token issued in the future) and its protected
 * resource metadata (RFC 9728).
 */

interface LocalServer {
  readonly url: string;
  readonly requests: { method: string; path: string; authorization: string | undefined }[];
  stop(): Promise<void>;
}

async function startLocalServer(answer: (path: string, url: string) => [number, unknown]): Promise<LocalServer> {
  const requests: LocalServer['requests'] = [];
  const sockets = new Set<Socket>();
  let url = '';
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/';
    requests.push({ method: request.method ?? 'GET', path, authorization: request.headers.authorization });
    request.resume();
    request.on('end', () => {
      const [status, body] = answer(path, url);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'test-key';
const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
const METADATA_URL = 'http://localhost:8080/.well-known/oauth-protected-resource';

async function mint(issuer: string, claims: Record<string, unknown> = {}): Promise<string> {
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: 'demo-app', scope: 'user.read message.read', jti: randomUUID(), iat: now, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(issuer)
    .setAudience('user-service')
    .setSubject('alice')
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

describe('user-service hardening (issue 11) and protected resource metadata', () => {
  let attacker: LocalServer;
  let auth: LocalServer;
  let tokenEndpointStatus: number;
  let discoveredTokenEndpoint: (url: string) => string;
  let app: INestApplication | undefined;
  let appUrl: string;

  const start = async (env: Record<string, string> = {}): Promise<void> => {
    ({ app, url: appUrl } = await startUserService({
      AUTH_ISSUER: auth.url,
      AUTH_JWKS_URI: `${auth.url}/jwks`,
      MESSAGE_SERVICE_URL: auth.url,
      TOKEN_EXCHANGE_TIMEOUT_MS: '1000',
      ...env,
    }));
  };

  beforeEach(async () => {
    tokenEndpointStatus = 400;
    discoveredTokenEndpoint = (url) => `${url}/oauth2/token`;
    attacker = await startLocalServer(() => [200, { access_token: 'stolen', token_type: 'Bearer' }]);
    auth = await startLocalServer((path, url) => {
      if (path === '/.well-known/oauth-authorization-server') {
        return [200, { issuer: url, token_endpoint: discoveredTokenEndpoint(url), jwks_uri: `${url}/jwks` }];
      }
      if (path === '/jwks') return [200, { keys: [jwk] }];
      if (path === '/oauth2/token') return [tokenEndpointStatus, { error: 'invalid_request' }];
      return [404, { error: 'not_found' }];
    });
  });

  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    app = undefined;
    await attacker.stop();
    await auth.stop();
  });

  it('[H05] never sends its client credentials to a token_endpoint off the issuer origin: 502, the other host asked nothing', async () => {
    discoveredTokenEndpoint = () => `${attacker.url}/oauth2/token`;
    await start();
    const response = await fetch(`${appUrl}/api/users/messages`, {
      headers: { authorization: `Bearer ${await mint(auth.url)}` },
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: 'token_exchange_failed',
      message: 'This service could not obtain a token for the next service',
    });
    const ready = await fetch(`${appUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(attacker.requests).toEqual([]);
    expect(auth.requests.filter((request) => request.authorization !== undefined)).toEqual([]);
  });

  it('[H04] forgets a token endpoint success after 30 s on the monotonic clock, even with the wall clock stepped back', async () => {
    await start({ AUTH_TOKEN_ENDPOINT: `${auth.url}/oauth2/token` });
    // Only the clocks are replaced (Date and performance); timers and I/O stay real.
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: [
        'hrtime',
        'nextTick',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    expect((await fetch(`${appUrl}/health/ready`)).status).toBe(200);
    const probes = () => auth.requests.filter((request) => request.path === '/oauth2/token').length;
    expect(probes()).toBe(1);

    // The auth server goes down, and NTP steps the wall clock back ten minutes.
    tokenEndpointStatus = 503;
    jest.setSystemTime(Date.now() - 10 * 60 * 1000);
    expect((await fetch(`${appUrl}/health/ready`)).status).toBe(200);
    expect(probes()).toBe(1);

    jest.advanceTimersByTime(30_000);
    const ready = await fetch(`${appUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(probes()).toBe(2);
  });

  it('[H14] refuses a token issued a year ahead: 401 invalid_token, exact challenge, no exchange', async () => {
    await start({ AUTH_TOKEN_ENDPOINT: `${auth.url}/oauth2/token` });
    const year = 365 * 24 * 3600;
    const now = Math.floor(Date.now() / 1000);
    const token = await mint(auth.url, { iat: now + year, exp: now + year + 600 });
    const response = await fetch(`${appUrl}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token', message: 'The access token is not valid yet' });
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer realm="user-service", error="invalid_token", error_description="The access token is not valid yet", resource_metadata="${METADATA_URL}"`,
    );
    expect(auth.requests.filter((request) => request.path === '/oauth2/token')).toEqual([]);
  });

  it('publishes its protected resource metadata (RFC 9728) without a token, and names it in its challenges', async () => {
    await start({ AUTH_TOKEN_ENDPOINT: `${auth.url}/oauth2/token` });
    const response = await fetch(`${appUrl}/.well-known/oauth-protected-resource`, {
      headers: { 'x-forwarded-host': 'evil.example' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(await response.json()).toEqual({
      resource: 'http://localhost:8080',
      authorization_servers: [auth.url],
      scopes_supported: ['message.read', 'message.write', 'user.read'],
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: ['ES256'],
    });
    const bare = await fetch(`${appUrl}/api/users/me`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer realm="user-service", resource_metadata="${METADATA_URL}"`);
  });

  it('takes its resource identifier from RESOURCE_URI', async () => {
    await start({ RESOURCE_URI: 'https://users.example' });
    const document = (await (await fetch(`${appUrl}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
    expect(document['resource']).toBe('https://users.example');
    expect((await fetch(`${appUrl}/api/users/me`)).headers.get('www-authenticate')).toBe(
      'Bearer realm="user-service", resource_metadata="https://users.example/.well-known/oauth-protected-resource"',
    );
  });
});
