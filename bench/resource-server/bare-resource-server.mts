/**
 * The floor for a resource server: `node:http` + jose `jwtVerify` over a local JWKS, doing the
 * checks Baton's resource servers do on every call (signature, pinned algorithms, exact `iss`,
 * `aud`, `typ at+jwt`, `exp`, the route's scope) and building the same body from the same data.
 * Started by `resource-server.bench.mts` like a built app (pinned to CPU 0) with
 *   BARE_PORT, BARE_ISSUER, BARE_AUDIENCE, BARE_ROUTE (`messages` or `me`), and for `messages`
 *   BARE_DATABASE (a copy of the SQLite file message-service serves from).
 * - `messages`: `GET /api/messages`, scope message.read: the caller's newest 20 messages read with
 *   message-service's own query from a copy of its SQLite file, as message-service's first page.
 * - `me`: `GET /api/users/me`, scope user.read: who the token says the caller is, as user-service.
 * The suite checks at start that both answer the same bytes for the same token.
 */
import { createServer, type ServerResponse } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const port = Number(required('BARE_PORT'));
const issuer = required('BARE_ISSUER');
const audience = required('BARE_AUDIENCE');
const route = required('BARE_ROUTE');

interface Route {
  path: string;
  scope: string;
  body(claims: JWTPayload): string;
}

function messagesRoute(): Route {
  // Not read-only: a copy of a WAL database is recovered (its index rebuilt) when it is opened.
  const database = new DatabaseSync(required('BARE_DATABASE'));
  // message-service's query and page size (MESSAGES_PAGE_DEFAULT_LIMIT + 1 to see a next page).
  const inbox = database.prepare('SELECT * FROM messages WHERE recipient = ? AND seq < ? ORDER BY seq DESC LIMIT ?');
  return {
    path: '/api/messages',
    scope: 'message.read',
    body: (claims) => {
      const rows = inbox.all(String(claims.sub), Number.MAX_SAFE_INTEGER, 21) as unknown as Record<string, string>[];
      if (rows.length > 20) throw new Error('the bare server serves first pages of at most 20 messages');
      const act = claims['act'] as { sub?: string } | undefined;
      return JSON.stringify({
        subject: claims.sub,
        actor: act?.sub ?? null,
        messages: rows.map((row) => ({ id: row['id'], from: row['sender'], to: row['recipient'], text: row['text'], createdAt: row['created_at'] })),
        nextCursor: null,
      });
    },
  };
}

function meRoute(): Route {
  return {
    path: '/api/users/me',
    scope: 'user.read',
    body: (claims) =>
      JSON.stringify({
        sub: claims.sub,
        clientId: claims['client_id'],
        scopes: typeof claims['scope'] === 'string' ? claims['scope'].split(' ').filter(Boolean) : [],
        act: claims['act'] ?? null,
      }),
  };
}

const served = route === 'messages' ? messagesRoute() : route === 'me' ? meRoute() : undefined;
if (served === undefined) throw new Error(`BARE_ROUTE must be messages or me, not ${route}`);

// The key set is fetched once at start: the benchmark measures requests, not key refreshes.
const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
const keySet = (await (await fetch(discovery.jwks_uri)).json()) as JSONWebKeySet;
const algorithms = [...new Set(keySet.keys.map((key) => key.alg).filter((alg): alg is string => typeof alg === 'string'))];
const keys = createLocalJWKSet(keySet);

function refuse(response: ServerResponse, status: 401 | 403, challenge: string): void {
  response.writeHead(status, { 'www-authenticate': challenge, 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: status === 401 ? 'invalid_token' : 'insufficient_scope' }));
}

createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (request.method !== 'GET' || request.url !== served.path) {
    response.writeHead(404).end();
    return;
  }
  const authorization = request.headers.authorization ?? '';
  if (!authorization.startsWith('Bearer ')) {
    refuse(response, 401, 'Bearer');
    return;
  }
  jwtVerify(authorization.slice('Bearer '.length), keys, {
    issuer,
    audience,
    algorithms,
    typ: 'at+jwt',
    requiredClaims: ['exp', 'sub'],
    clockTolerance: 5,
  }).then(
    ({ payload }) => {
      const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
      if (!scopes.includes(served.scope)) {
        refuse(response, 403, `Bearer error="insufficient_scope", scope="${served.scope}"`);
        return;
      }
      const body = Buffer.from(served.body(payload));
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      response.end(body);
    },
    () => refuse(response, 401, 'Bearer error="invalid_token"'),
  );
}).listen(port, '127.0.0.1');
