import { TokenExchangeService } from '@baton/token-exchange';
import { CheckedDpopProof, DpopProofError, checkDpopProof } from '@baton/token-exchange/testing';
import { INestApplication } from '@nestjs/common';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUserService } from './support/start-user-service';

/**
 * user-service with DPoP (its default): against a stand-in auth server and message-service on
 * one local HTTP server that check its proofs as RFC 9449 servers do (jose: signature, typ,
 * public jwk, htm, htu, iat, jti never twice, ath, nonce) and bind tokens to the proof key.
 */

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

interface Received {
  path: string;
  method: string;
  authorization: string | undefined;
  proof: CheckedDpopProof | undefined;
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'test-key';

let server: Server;
let baseUrl: string;
const sockets = new Set<Socket>();
const received: Received[] = [];
const seenJti = new Set<string>();
/** Nonces the stand-ins demand (undefined: none). */
let tokenEndpointNonce: string | undefined;
let messageServiceNonce: string | undefined;
let tokenRefusal: Answer | undefined;
let app: INestApplication;
let appUrl: string;

async function readProof(request: IncomingMessage, method: string, url: string, accessToken?: string): Promise<CheckedDpopProof | string> {
  try {
    const header = request.headers['dpop'];
    const proof = await checkDpopProof(typeof header === 'string' ? header : undefined, { method, url, accessToken });
    if (seenJti.has(proof.claims.jti)) return 'jti replayed';
    seenJti.add(proof.claims.jti);
    return proof;
  } catch (error) {
    if (error instanceof DpopProofError) return error.message;
    throw error;
  }
}

async function answerFor(request: IncomingMessage, path: string, entry: Received): Promise<Answer> {
  if (path === '/jwks') {
    return { status: 200, body: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] } };
  }
  if (path === '/oauth2/token') {
    const proof = await readProof(request, 'POST', `${baseUrl}/oauth2/token`);
    if (typeof proof === 'string') return { status: 400, body: { error: 'invalid_dpop_proof', error_description: proof } };
    entry.proof = proof;
    if (tokenEndpointNonce !== undefined && proof.claims.nonce !== tokenEndpointNonce) {
      return { status: 400, body: { error: 'use_dpop_nonce' }, headers: { 'DPoP-Nonce': tokenEndpointNonce } };
    }
    if (tokenRefusal !== undefined) return tokenRefusal;
    const index = received.filter((other) => other.path === '/oauth2/token' && other.proof !== undefined).length;
    return {
      status: 200,
      body: {
        access_token: `bound-${index}.${proof.thumbprint}`,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'DPoP',
        expires_in: 300,
      },
    };
  }
  if (path.startsWith('/api/messages')) {
    const challenge = (error: string, headers: Record<string, string> = {}): Answer => ({
      status: 401,
      headers: { 'WWW-Authenticate': `DPoP error="${error}", algs="ES256 EdDSA"`, ...headers },
      body: { error, message: 'refused' },
    });
    const authorization = request.headers.authorization ?? '';
    if (!authorization.startsWith('DPoP ')) return challenge('invalid_token');
    const token = authorization.slice('DPoP '.length);
    const proof = await readProof(request, request.method ?? 'GET', `${baseUrl}${path}`, token);
    if (typeof proof === 'string') return challenge('invalid_dpop_proof');
    entry.proof = proof;
    // The stand-in's "cnf.jkt": the token names the key it was bound to.
    if (!token.endsWith(`.${proof.thumbprint}`)) return challenge('invalid_token');
    if (messageServiceNonce !== undefined && proof.claims.nonce !== messageServiceNonce) {
      return challenge('use_dpop_nonce', { 'DPoP-Nonce': messageServiceNonce });
    }
    return request.method === 'POST'
      ? { status: 201, body: { id: 'm1', from: 'alice', to: 'bob', text: 'hi' } }
      : { status: 200, body: { subject: 'alice', actor: 'user-service', messages: [], nextCursor: null } };
  }
  return { status: 404, body: { error: 'not_found' } };
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  for await (const chunk of request) void chunk;
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const entry: Received = { path, method: request.method ?? 'GET', authorization: request.headers.authorization, proof: undefined };
  received.push(entry);
  const answer = await answerFor(request, path, entry);
  response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
  response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
}

async function mint(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: 'demo-app', scope: 'user.read message.read message.write', jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(baseUrl)
    .setAudience('user-service')
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

function call(url: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${url}/api/users/messages`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const env = () => ({
  AUTH_ISSUER: baseUrl,
  AUTH_JWKS_URI: `${baseUrl}/jwks`,
  AUTH_TOKEN_ENDPOINT: `${baseUrl}/oauth2/token`,
  MESSAGE_SERVICE_URL: baseUrl,
  TOKEN_EXCHANGE_TIMEOUT_MS: '2000',
  DOWNSTREAM_TIMEOUT_MS: '2000',
});
const tokenRequests = () => received.filter((entry) => entry.path === '/oauth2/token');
const messageRequests = () => received.filter((entry) => entry.path === '/api/messages');

beforeAll(async () => {
  server = createServer((request, response) => void handle(request, response));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ app, url: appUrl } = await startUserService(env()));
});

beforeEach(() => {
  received.length = 0;
  tokenEndpointNonce = undefined;
  messageServiceNonce = undefined;
  tokenRefusal = undefined;
  app.get(TokenExchangeService).clearCache();
});

afterAll(async () => {
  await app?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('user-service with DPoP (the default)', () => {
  it('proves its key at the exchange and calls message-service with the bound token and a proof of the same key', async () => {
    const response = await call(appUrl, await mint());
    expect(response.status).toBe(200);

    const [exchange] = tokenRequests();
    expect(exchange?.proof?.claims).toMatchObject({ htm: 'POST', htu: `${baseUrl}/oauth2/token` });
    expect(exchange?.proof?.alg).toBe('ES256');
    const [downstream] = messageRequests();
    expect(downstream?.authorization).toMatch(/^DPoP bound-1\./);
    expect(downstream?.proof?.claims).toMatchObject({ htm: 'GET', htu: `${baseUrl}/api/messages`, ath: expect.any(String) });
    expect(downstream?.proof?.thumbprint).toBe(exchange?.proof?.thumbprint);
  });

  it('follows the nonces of the auth server and of message-service, a POST included, with one exchange', async () => {
    tokenEndpointNonce = 'as-nonce';
    messageServiceNonce = 'ms-nonce';
    const response = await call(appUrl, await mint(), { to: 'bob', text: 'hi' });
    expect(response.status).toBe(201);
    expect(tokenRequests().map((entry) => entry.proof?.claims.nonce)).toEqual([undefined, 'as-nonce']);
    // Nonces are kept per origin, and both stand-ins share one: the first call carries the
    // auth server's, is refused, and goes once more with message-service's.
    expect(messageRequests().map((entry) => [entry.method, entry.proof?.claims.nonce])).toEqual([
      ['POST', 'as-nonce'],
      ['POST', 'ms-nonce'],
    ]);
  });

  it('answers 502 token_exchange_failed when the auth server refuses its proof', async () => {
    tokenRefusal = { status: 400, body: { error: 'invalid_dpop_proof', error_description: 'refused' } };
    const response = await call(appUrl, await mint());
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: 'token_exchange_failed' });
    expect(messageRequests()).toHaveLength(0);
  });

  it('signs with the key of TOKEN_EXCHANGE_DPOP_KEY_FILE when given, and sends no proof with TOKEN_EXCHANGE_DPOP=false', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'user-service-dpop-'));
    const key = generateKeyPairSync('ed25519');
    writeFileSync(join(folder, 'dpop.json'), JSON.stringify(key.privateKey.export({ format: 'jwk' })));
    const withKey = await startUserService({ ...env(), TOKEN_EXCHANGE_DPOP_KEY_FILE: join(folder, 'dpop.json') });
    const without = await startUserService({ ...env(), TOKEN_EXCHANGE_DPOP: 'false' });
    try {
      expect((await call(withKey.url, await mint())).status).toBe(200);
      expect(tokenRequests()[0]?.proof?.thumbprint).toBe(await calculateJwkThumbprint(await exportJWK(key.publicKey), 'sha256'));
      expect(tokenRequests()[0]?.proof?.alg).toBe('EdDSA');

      received.length = 0;
      await call(without.url, await mint());
      // No proof: the stand-in auth server refuses, as Baton's does for user-service (requireDpop).
      expect(tokenRequests()).toEqual([expect.objectContaining({ proof: undefined })]);
    } finally {
      await withKey.app.close();
      await without.app.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
