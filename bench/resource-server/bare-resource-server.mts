/**
 * The floor for a resource server: `node:http` + jose `jwtVerify` over a local JWKS, doing the
 * checks message-service does on every call (signature, pinned algorithms, exact `iss`, `aud`,
 * `typ at+jwt`, `exp`, the route's scope) and answering a fixed body. Started by
 * `resource-server.bench.mts` like a built app (pinned to CPU 0) with
 *   BARE_PORT, BARE_ISSUER, BARE_AUDIENCE, BARE_SCOPE, BARE_BODY_FILE, BARE_CONTENT_TYPE.
 * The body is the one message-service answered for the same token, so both write the same bytes.
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const port = Number(required('BARE_PORT'));
const issuer = required('BARE_ISSUER');
const audience = required('BARE_AUDIENCE');
const scope = required('BARE_SCOPE');
const body = readFileSync(required('BARE_BODY_FILE'));
const contentType = required('BARE_CONTENT_TYPE');

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
  if (request.method !== 'GET' || request.url !== '/api/messages') {
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
      if (!scopes.includes(scope)) {
        refuse(response, 403, `Bearer error="insufficient_scope", scope="${scope}"`);
        return;
      }
      response.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
      response.end(body);
    },
    () => refuse(response, 401, 'Bearer error="invalid_token"'),
  );
}).listen(port, '127.0.0.1');
