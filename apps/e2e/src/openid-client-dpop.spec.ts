import type { TokenSet } from '@baton/dto';
import { workspaceRoot } from '@baton/testing';
import { join } from 'node:path';
import { BatonSystem } from './support/baton-system';
import { NodeScript } from './support/node-script';

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
    const run = await NodeScript.run(SCRIPT, {
      ISSUER: system.auth.issuer,
      CLIENT_ID: 'user-service',
      CLIENT_SECRET: 'secret',
      SUBJECT_TOKEN: alice.access_token,
      RESOURCE_URL: `${messagesUrl}/api/messages`,
    });
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
    const calls = result.requests.filter((request) => request.url === '/api/messages');
    // Every call went as `Authorization: DPoP` with a proof; a nonce asked for, if any, was answered by openid-client's retry.
    expect(calls.every((request) => request.scheme === 'DPoP' && request.dpop)).toBe(true);
    expect(calls.filter((request) => request.status === 200)).toHaveLength(2);
    expect(calls.filter((request) => request.status !== 200).every((request) => request.nonceAsked)).toBe(true);
    // Nothing secret in what the program printed.
    expect(run.stdout).not.toContain(alice.access_token);
    expect(run.stdout).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  });
});
