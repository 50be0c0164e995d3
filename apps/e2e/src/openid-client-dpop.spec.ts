import type { MessageListResponse, TokenSet } from '@baton/dto';
import { workspaceRoot } from '@baton/testing';
import { DpopKey } from '@baton/token-exchange';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BatonSystem } from './support/baton-system';
import { dpopHeaders, exchangeWithDpop } from './support/dpop-exchange';
import { call } from './support/http';
import { NodeScript, ScriptResult } from './support/node-script';

/** openid-client 6.9.1 is ESM-only: the interop runs as a Node program, its findings one JSON line. */
const SCRIPT = join(workspaceRoot(), 'apps', 'e2e', 'src', 'interop', 'openid-client-dpop.mts');

interface InteropResult {
  thumbprint: string;
  withoutProof: { status?: number; error?: string; granted?: boolean; unexpected?: string };
  exchange: {
    tokenType: string;
    issuedTokenType: string;
    scope: string;
    claims: { sub: string; aud: string; act: unknown; cnf: unknown };
  };
  resource: { status: number; subject: string; actor: string; messages: number };
  resourceAgain: { status: number };
  requests: { method: string; url: string; status: number; dpop: boolean; scheme?: string; nonceAsked: boolean; tokenType?: string }[];
}

/**
 * Issue 16 interop: an independent RFC 9449 client, openid-client 6.9.1 (`randomDPoPKeyPair`,
 * `getDPoPHandle`, `genericGrantRequest`, `fetchProtectedResource`), acting as user-service
 * against the real auth server and message-service: it exchanges alice's token with a proof of its
 * own key, gets `token_type: DPoP` and a token bound to that key, and reads her inbox with it.
 */
describe('openid-client 6.9.1 exchanges and calls with DPoP', () => {
  let system: BatonSystem;
  let alice: TokenSet;
  let messagesUrl: string;

  beforeAll(async () => {
    // BatonSystem gives message-service its loopback URL as the public URL that proofs name.
    system = await BatonSystem.start();
    messagesUrl = system.messageServiceUrl;
    alice = await system.login('alice');
  });

  afterAll(() => system?.stop());

  it('gets a DPoP-bound token by token exchange and reads alice\'s inbox with it', async () => {
    const run = await runInterop(system, alice, messagesUrl);
    const result = expectInteropWorked(run, alice);
    // Nonces are off by default: no request was refused for one.
    expect(result.requests.every((request) => !request.nonceAsked && request.status < 500)).toBe(true);
    expect(result.requests.filter((request) => request.url === '/api/messages')).toHaveLength(2);
  });
});

/**
 * The same with server nonces required at both servers (RFC 9449 §8 at the token endpoint, §9 at
 * message-service): a proof without the current nonce is refused with `use_dpop_nonce` and a
 * `DPoP-Nonce` header, and openid-client's own retry (once, with the nonce) gets through.
 */
describe('openid-client 6.9.1 with DPoP nonces required', () => {
  let system: BatonSystem;
  let alice: TokenSet;

  beforeAll(async () => {
    system = await BatonSystem.start({
      authServerEnv: { AUTH_SERVER_DPOP_REQUIRE_NONCE: 'true' },
      messageServiceEnv: { MESSAGE_SERVICE_DPOP_NONCE_SECRET: randomBytes(32).toString('base64url') },
    });
    alice = await system.login('alice');
  });

  afterAll(() => system?.stop());

  it('refuses proofs without a nonce: 400 use_dpop_nonce at the token endpoint, 401 use_dpop_nonce at message-service, each with DPoP-Nonce', async () => {
    const key = DpopKey.generate();
    const tokenUrl = `${system.auth.issuer}/oauth2/token`;
    const form = {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: alice.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'message-service',
      scope: 'message.read',
    };
    const basic = `Basic ${Buffer.from('user-service:secret').toString('base64')}`;
    const refused = await call<{ error: string }>(tokenUrl, { headers: { authorization: basic, dpop: key.proof({ method: 'POST', url: tokenUrl }) }, form });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('use_dpop_nonce');
    const nonce = refused.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);

    // The helper retries once with the nonce, as a client must.
    const granted = await exchangeWithDpop(system.auth.issuer, alice.access_token, key);
    expect(granted.status).toBe(200);
    expect(granted.body.token_type).toBe('DPoP');

    const url = `${system.messageServiceUrl}/api/messages`;
    const noNonce = await call(url, { headers: dpopHeaders(key, 'GET', url, granted.body.access_token) });
    expect(noNonce.status).toBe(401);
    expect(noNonce.headers.get('www-authenticate')).toMatch(/^DPoP realm="message-service", error="use_dpop_nonce", error_description="[^"]+", algs="ES256 EdDSA[^"]*"/);
    const resourceNonce = noNonce.headers.get('dpop-nonce');
    expect(resourceNonce).not.toBeNull();
    const withNonce = await call<MessageListResponse>(url, { headers: dpopHeaders(key, 'GET', url, granted.body.access_token, resourceNonce ?? '') });
    expect(withNonce.status).toBe(200);
    expect(withNonce.body).toMatchObject({ subject: 'alice', actor: 'user-service' });
  });

  it("lets openid-client's nonce retry through at both servers", async () => {
    const run = await runInterop(system, alice, system.messageServiceUrl);
    const result = expectInteropWorked(run, alice);
    const tokenRequests = result.requests.filter((request) => request.url === '/oauth2/token' && request.dpop);
    // Refused for a nonce, then granted: openid-client's own retry.
    expect(tokenRequests.map((request) => [request.status, request.nonceAsked])).toEqual([
      [400, true],
      [200, false],
    ]);
    const calls = result.requests.filter((request) => request.url === '/api/messages');
    // The first call learns message-service's nonce (401 use_dpop_nonce, retried); the second carries it.
    expect(calls.map((request) => [request.status, request.nonceAsked])).toEqual([
      [401, true],
      [200, false],
      [200, false],
    ]);
  });

  it("keeps user-service working: its own client retries with the servers' nonces", async () => {
    const answer = await call<MessageListResponse>(`${system.userServiceUrl}/api/users/messages`, { token: alice.access_token });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ subject: 'alice', actor: 'user-service' });
  });
});

function runInterop(system: BatonSystem, alice: TokenSet, messagesUrl: string): Promise<ScriptResult> {
  return NodeScript.run(SCRIPT, {
    ISSUER: system.auth.issuer,
    CLIENT_ID: 'user-service',
    CLIENT_SECRET: 'secret',
    SUBJECT_TOKEN: alice.access_token,
    RESOURCE_URL: `${messagesUrl}/api/messages`,
  });
}

/** What every run must show: refused without a proof, a bound token with one, two 200 calls; nothing secret printed. */
function expectInteropWorked(run: ScriptResult, alice: TokenSet): InteropResult {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout.trim()) as InteropResult;

  // The user-service client must prove a key: without the DPoP handle, openid-client is refused.
  expect(result.withoutProof).toEqual({ status: 400, error: 'invalid_dpop_proof' });

  // openid-client lowercases token_type; on the wire it was "DPoP".
  expect(result.exchange).toEqual({
    tokenType: 'dpop',
    issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    scope: 'message.read',
    claims: { sub: 'alice', aud: 'message-service', act: { sub: 'user-service' }, cnf: { jkt: result.thumbprint } },
  });
  const exchanges = result.requests.filter((request) => request.url === '/oauth2/token' && request.status === 200);
  expect(exchanges).toEqual([expect.objectContaining({ method: 'POST', dpop: true, tokenType: 'DPoP' })]);

  expect(result.resource).toMatchObject({ status: 200, subject: 'alice', actor: 'user-service' });
  expect(result.resource.messages).toBeGreaterThan(0);
  expect(result.resourceAgain).toEqual({ status: 200 });
  // Every call went as `Authorization: DPoP` with a proof.
  const calls = result.requests.filter((request) => request.url === '/api/messages');
  expect(calls.every((request) => request.scheme === 'DPoP' && request.dpop)).toBe(true);
  // Nothing secret in what the program printed.
  expect(run.stdout).not.toContain(alice.access_token);
  expect(run.stdout).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  return result;
}
