/**
 * The peers benchmark's floor (issue 15): `node:http` + `node:crypto` only, doing just the work a
 * token endpoint must do for the two grants measured: read and parse the form, check the client's
 * Basic credentials (constant-time), for an exchange verify the subject's ES256 signature and its
 * `iss` / `aud` / `exp` / `typ`, then sign an ES256 JWT access token with the claims Baton issues
 * and answer JSON with `Cache-Control: no-store`. No framework, no logging, no storage. Started by
 * bench/peers/index.mts with PORT and PEER_PRIVATE_JWK; `GET /health` answers once it listens.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, timingSafeEqual, verify, type JsonWebKey } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { PEER_CLIENT, PEER_EXCHANGE, PEER_RESOURCE_SERVERS, TOKEN_EXCHANGE_GRANT } from './peer-configuration.mts';

const port = Number(process.env['PORT']);
const jwk = JSON.parse(process.env['PEER_PRIVATE_JWK'] ?? '{}') as JsonWebKey & { kid: string };
const issuer = `http://127.0.0.1:${port}`;
const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
const publicKey = createPublicKey(privateKey);
const encodedHeader = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: jwk.kid })).toString('base64url');
const secretDigest = createHash('sha256').update(PEER_CLIENT.secret).digest();
const [ownResource, exchangeTarget] = [
  PEER_RESOURCE_SERVERS.find((server) => server.resource === PEER_CLIENT.defaultResource),
  PEER_RESOURCE_SERVERS.find((server) => server.audience === PEER_EXCHANGE.target),
];
if (ownResource === undefined || exchangeTarget === undefined) throw new Error('peer configuration is incomplete');

/** RFC 6749 §2.3.1: Basic, both parts form-encoded; the secret compared in constant time. */
function authenticatedClient(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !authorization.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const id = decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
  const secret = decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' '));
  const matches = timingSafeEqual(createHash('sha256').update(secret).digest(), secretDigest);
  return matches && id === PEER_CLIENT.id ? id : undefined;
}

function signAccessToken(claims: Record<string, unknown>): string {
  const input = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

interface SubjectClaims {
  sub: string;
  iss: string;
  aud: string | string[];
  exp: number;
  scope?: string;
}

function verifySubject(token: string, now: number): SubjectClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const protectedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string; typ?: string };
  if (protectedHeader.alg !== 'ES256' || protectedHeader.typ !== 'at+jwt') return undefined;
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) {
    return undefined;
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SubjectClaims;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== issuer || !audiences.includes(PEER_EXCHANGE.subjectAudience) || !(claims.exp > now)) return undefined;
  return claims;
}

function answer(response: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
    pragma: 'no-cache',
  });
  response.end(json);
}

function tokenResponse(form: URLSearchParams, clientId: string): [number, object] {
  const now = Math.floor(Date.now() / 1000);
  const grantType = form.get('grant_type');
  if (grantType === 'client_credentials') {
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const allowed: readonly string[] = ownResource?.scopes ?? [];
    if (requested.some((scope) => !allowed.includes(scope))) return [400, { error: 'invalid_scope' }];
    const scope = (requested.length > 0 ? requested : allowed).join(' ');
    const ttl = ownResource?.accessTokenTtl ?? 300;
    const claims = { jti: randomBytes(32).toString('base64url'), sub: clientId, iat: now, exp: now + ttl, scope, client_id: clientId, iss: issuer, aud: ownResource?.audience };
    return [200, { access_token: signAccessToken(claims), expires_in: ttl, token_type: 'Bearer', scope }];
  }
  if (grantType === TOKEN_EXCHANGE_GRANT) {
    const subjectToken = form.get('subject_token');
    if (subjectToken === null || form.get('subject_token_type') !== PEER_EXCHANGE.subjectTokenType) return [400, { error: 'invalid_request' }];
    if ((form.get('audience') ?? PEER_EXCHANGE.target) !== exchangeTarget?.audience) return [400, { error: 'invalid_target' }];
    const subject = verifySubject(subjectToken, now);
    if (subject === undefined) return [400, { error: 'invalid_request' }];
    const subjectScopes = new Set((subject.scope ?? '').split(' '));
    const scope = exchangeTarget.scopes.filter((entry) => subjectScopes.has(entry)).join(' ');
    const exp = Math.min(now + exchangeTarget.accessTokenTtl, subject.exp);
    const claims = {
      act: { sub: clientId },
      jti: randomBytes(32).toString('base64url'),
      sub: subject.sub,
      iat: now,
      exp,
      scope,
      client_id: clientId,
      iss: issuer,
      aud: exchangeTarget.audience,
    };
    return [
      200,
      { access_token: signAccessToken(claims), issued_token_type: PEER_EXCHANGE.subjectTokenType, token_type: 'Bearer', expires_in: exp - now, scope },
    ];
  }
  return [400, { error: 'unsupported_grant_type' }];
}

createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    answer(response, 200, { status: 'ok' });
    return;
  }
  if (request.method !== 'POST' || request.url !== '/oauth2/token') {
    answer(response, 404, { error: 'not_found' });
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        answer(response, 400, { error: 'invalid_request' });
        return;
      }
      const clientId = authenticatedClient(request.headers.authorization);
      if (clientId === undefined) {
        response.setHeader('www-authenticate', 'Basic realm="floor"');
        answer(response, 401, { error: 'invalid_client' });
        return;
      }
      const [status, body] = tokenResponse(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), clientId);
      answer(response, status, body);
    } catch {
      answer(response, 400, { error: 'invalid_request' });
    }
  });
}).listen(port, '127.0.0.1');
