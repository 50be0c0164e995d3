/**
 * Interop (issue 16): openid-client 6.9.1, an independent RFC 9449 client, plays a service that
 * exchanges a user's token with DPoP at Baton's auth server (RFC 8693 through
 * `genericGrantRequest`) and calls message-service with the bound token through
 * `fetchProtectedResource`; nonces, if a server asks for them, are openid-client's own retry.
 * openid-client is ESM-only, so this runs as a Node program (spawned by
 * openid-client-dpop.spec.ts) and prints one JSON line with what it saw. No token, proof or key
 * is printed: only claims, thumbprints and statuses.
 *
 * Environment: ISSUER, CLIENT_ID, CLIENT_SECRET, SUBJECT_TOKEN, RESOURCE_URL (message-service's
 * `/api/messages` at the URL it is known by), AUDIENCE (default message-service).
 */
import { createHash } from 'node:crypto';
import * as client from 'openid-client';

interface Seen {
  method: string;
  url: string;
  status: number;
  dpop: boolean;
  scheme: string | undefined;
  nonceAsked: boolean;
  tokenType?: string;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

const seen: Seen[] = [];
/** Every request openid-client sends, as it went on the wire (headers only; never their values). */
const recordingFetch: client.CustomFetch = async (url, options) => {
  const headers = new Headers(options.headers as HeadersInit);
  const response = await fetch(url, options as RequestInit);
  const entry: Seen = {
    method: options.method ?? 'GET',
    url: new URL(url).pathname,
    status: response.status,
    dpop: headers.has('dpop'),
    scheme: headers.get('authorization')?.split(' ', 1)[0],
    nonceAsked: response.headers.has('dpop-nonce') && response.status >= 400,
  };
  if (entry.url.endsWith('/token') && response.headers.get('content-type')?.includes('json')) {
    const body = (await response.clone().json()) as { token_type?: string };
    if (body.token_type !== undefined) entry.tokenType = body.token_type;
  }
  seen.push(entry);
  return response;
};

const issuer = new URL(env('ISSUER'));
const clientSecret = env('CLIENT_SECRET');
const config = await client.discovery(issuer, env('CLIENT_ID'), clientSecret, client.ClientSecretBasic(clientSecret), {
  execute: [client.allowInsecureRequests],
  [client.customFetch]: recordingFetch,
});
config[client.customFetch] = recordingFetch;

const keyPair = await client.randomDPoPKeyPair('ES256');
const dpop = client.getDPoPHandle(config, keyPair);
const publicJwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
// RFC 7638 for an EC key: its required members in lexicographic order, SHA-256, base64url.
const thumbprint = createHash('sha256')
  .update(JSON.stringify({ crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }))
  .digest('base64url');

const result: Record<string, unknown> = { thumbprint };

// Without a proof first: the user-service client must send one.
try {
  await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
    subject_token: env('SUBJECT_TOKEN'),
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: process.env['AUDIENCE'] || 'message-service',
    scope: 'message.read',
  });
  result['withoutProof'] = { granted: true };
} catch (error) {
  result['withoutProof'] =
    error instanceof client.ResponseBodyError ? { status: error.status, error: error.error } : { unexpected: String(error) };
}

const tokens = await client.genericGrantRequest(
  config,
  'urn:ietf:params:oauth:grant-type:token-exchange',
  {
    subject_token: env('SUBJECT_TOKEN'),
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: process.env['AUDIENCE'] || 'message-service',
    scope: 'message.read',
  },
  { DPoP: dpop },
);
const claims = claimsOf(tokens.access_token);
result['exchange'] = {
  tokenType: tokens.token_type,
  issuedTokenType: tokens['issued_token_type'],
  scope: tokens.scope,
  claims: { sub: claims['sub'], aud: claims['aud'], act: claims['act'], cnf: claims['cnf'] },
};

const resource = new URL(env('RESOURCE_URL'));
const answer = await client.fetchProtectedResource(config, tokens.access_token, resource, 'GET', undefined, undefined, { DPoP: dpop });
const body = (await answer.json()) as { subject?: unknown; actor?: unknown; messages?: unknown[] };
result['resource'] = {
  status: answer.status,
  subject: body.subject,
  actor: body.actor,
  messages: Array.isArray(body.messages) ? body.messages.length : undefined,
};

// A second call: a fresh proof (openid-client never reuses one), still 200.
const again = await client.fetchProtectedResource(config, tokens.access_token, resource, 'GET', undefined, undefined, { DPoP: dpop });
result['resourceAgain'] = { status: again.status };
result['requests'] = seen;

process.stdout.write(`${JSON.stringify(result)}\n`);
