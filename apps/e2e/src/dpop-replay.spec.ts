import type { MessageListResponse, TokenSet } from '@baton/dto';
import { freePort } from '@baton/testing';
import { DpopKey, jwkThumbprint } from '@baton/token-exchange';
import type { JsonWebKey } from 'node:crypto';
import { BatonSystem } from './support/baton-system';
import { dpopHeaders, exchangeWithDpop } from './support/dpop-exchange';
import { call, claimsOf } from './support/http';
import { RecordingSidecar, SeenRequest } from './support/recording-sidecar';

/** The `WWW-Authenticate` of message-service's DPoP refusals (RFC 9449 §7.1), for one error. */
const dpopChallenge = (error: string, description: string, resourceMetadata: string): string =>
  `DPoP realm="message-service", error="${error}", error_description="${description}", algs="ES256 EdDSA ES384 PS256 RS256"` +
  `, resource_metadata="${resourceMetadata}"`;

/**
 * Issue 16, "proof that it matters", across the real processes. user-service calls message-service
 * through a compromised sidecar (a proxy that copies every request: the token, the proof); the
 * copy is then replayed at message-service by this test process, which never holds user-service's
 * key. Each replay is refused 401 with its RFC 9449 challenge, while user-service's own calls go
 * through. The auth server's side: the user-service client must send a proof, and what it gets is
 * bound to the proof's key.
 */
describe('DPoP: a copied exchanged token is useless without the key', () => {
  let system: BatonSystem;
  let sidecar: RecordingSidecar;
  let alice: TokenSet;
  /** What the sidecar copied from user-service's call to message-service for alice. */
  let copied: SeenRequest;
  let stolenToken: string;

  beforeAll(async () => {
    sidecar = await RecordingSidecar.start();
    const messagePort = await freePort();
    sidecar.forwardTo(`http://127.0.0.1:${messagePort}`);
    system = await BatonSystem.start({
      messagePort,
      // Everything logged, so that the last checks can look for tokens, proofs and keys in it.
      authServerEnv: { LOG_LEVEL: 'debug' },
      // message-service is known by the sidecar's URL: the `htu` of every proof names it.
      messageServiceEnv: { MESSAGE_SERVICE_PUBLIC_URL: sidecar.url, LOG_LEVEL: 'debug' },
      userServiceEnv: { MESSAGE_SERVICE_URL: sidecar.url, LOG_LEVEL: 'debug' },
    });
    alice = await system.login('alice');
  });

  afterAll(async () => {
    await system?.stop();
    await sidecar?.stop();
  });

  const inboxUrl = () => `${sidecar.url}/api/messages`;
  /** message-service itself, bypassing the sidecar: the attacker's process talks to it directly. */
  const direct = () => `${system.messageServiceUrl}/api/messages`;
  const resourceMetadata = () => `http://localhost:${system.messagePort}/.well-known/oauth-protected-resource`;

  it('refuses an exchange by the user-service client without a proof: 400 invalid_dpop_proof', async () => {
    const refused = await exchangeWithDpop(system.auth.issuer, alice.access_token, undefined);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_dpop_proof');
    expect(refused.body.access_token).toBeUndefined();
  });

  it('binds the token it exchanges with a proof: token_type DPoP, cnf.jkt = the proof key thumbprint', async () => {
    const key = DpopKey.generate();
    const granted = await exchangeWithDpop(system.auth.issuer, alice.access_token, key);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ token_type: 'DPoP', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    expect(claimsOf(granted.body.access_token)).toMatchObject({
      sub: 'alice',
      aud: 'message-service',
      act: { sub: 'user-service' },
      cnf: { jkt: key.thumbprint },
    });
    // And its holder can use it: a fresh proof of the same key, bound to this call.
    const used = await call<MessageListResponse>(inboxUrl(), { headers: dpopHeaders(key, 'GET', inboxUrl(), granted.body.access_token) });
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({ subject: 'alice', actor: 'user-service' });

    // htu is judged against the URL message-service is known by (the sidecar's), never the Host
    // header: a proof naming the address the request was really sent to is refused.
    const hostNamed = await call(direct(), { headers: dpopHeaders(key, 'GET', direct(), granted.body.access_token) });
    expect(hostNamed.status).toBe(401);
    expect(hostNamed.headers.get('www-authenticate')).toBe(
      dpopChallenge('invalid_dpop_proof', 'The DPoP proof was made for another URL', resourceMetadata()),
    );
  });

  it("lets user-service's own call through: 200, sent as DPoP with a proof of the key its token is bound to", async () => {
    const answer = await call<MessageListResponse>(`${system.userServiceUrl}/api/users/messages`, { token: alice.access_token });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ subject: 'alice', actor: 'user-service' });

    copied = sidecar.lastAuthorized();
    expect(copied).toMatchObject({ method: 'GET', status: 200 });
    const authorization = String(copied.headers.authorization);
    expect(authorization).toMatch(/^DPoP [\w-]+\.[\w-]+\.[\w-]+$/);
    stolenToken = authorization.slice('DPoP '.length);
    const proofHeader = JSON.parse(Buffer.from(String(copied.headers.dpop).split('.')[0] ?? '', 'base64url').toString()) as {
      typ: string;
      jwk: JsonWebKey;
    };
    expect(proofHeader.typ).toBe('dpop+jwt');
    expect(proofHeader.jwk).not.toHaveProperty('d');
    expect(claimsOf(stolenToken)).toMatchObject({ sub: 'alice', aud: 'message-service', cnf: { jkt: jwkThumbprint(proofHeader.jwk) } });
  });

  it('refuses the copied token sent as Bearer by another process: 401 invalid_token', async () => {
    const replayed = await call(direct(), { token: stolenToken });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toBe(
      dpopChallenge('invalid_token', 'The access token is bound to a DPoP key and must be sent with the DPoP scheme and a proof', resourceMetadata()),
    );
    expect(replayed.body).toMatchObject({ error: 'invalid_token' });
  });

  it("refuses the copied token sent as DPoP with the attacker's own key: 401 invalid_dpop_proof", async () => {
    const attackerKey = DpopKey.generate();
    // A proof that is right in every way but the key: method, URL, time, the token's hash.
    const replayed = await call(direct(), { headers: dpopHeaders(attackerKey, 'GET', inboxUrl(), stolenToken) });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toBe(
      dpopChallenge('invalid_dpop_proof', 'The DPoP proof key is not the key the access token is bound to', resourceMetadata()),
    );
    expect(replayed.body).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('refuses the copied token with the copied proof (the same proof twice): 401 invalid_dpop_proof', async () => {
    const replayed = await call(direct(), { headers: { authorization: `DPoP ${stolenToken}`, dpop: String(copied.headers.dpop) } });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toBe(
      dpopChallenge('invalid_dpop_proof', 'The DPoP proof has been used before', resourceMetadata()),
    );
    expect(replayed.body).toMatchObject({ error: 'invalid_dpop_proof' });

    // Nor does the copied proof open another route: it names GET /api/messages only.
    const posted = await call(direct(), {
      headers: { authorization: `DPoP ${stolenToken}`, dpop: String(copied.headers.dpop) },
      json: { to: 'bob', text: 'not from alice' },
    });
    expect(posted.status).toBe(401);
    expect(posted.headers.get('www-authenticate')).toMatch(/^DPoP realm="message-service", error="invalid_dpop_proof"/);
  });

  it('refuses an exchanged bearer token (a client that sent no proof, like Spring 6.3): 401 invalid_token, DPoP required', async () => {
    // The seed's Spring registration (client message-service) has no requireDpop: it still gets a bearer token...
    const bearer = await exchangeWithDpop(system.auth.issuer, alice.access_token, undefined, { client: { id: 'message-service', secret: 'token' } });
    expect(bearer.status).toBe(200);
    expect(bearer.body.token_type).toBe('Bearer');
    expect(claimsOf(bearer.body.access_token)).not.toHaveProperty('cnf');
    // ...which message-service refuses: every token that came through an exchange (act) must be bound.
    const refused = await call(direct(), { token: bearer.body.access_token });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      dpopChallenge('invalid_token', 'This service accepts this access token only when it is bound to a DPoP key', resourceMetadata()),
    );
  });

  it('logs no token, no proof and no key: the three services saw them all, and refused some', async () => {
    const proof = String(copied.headers.dpop);
    const logs = { auth: system.auth.process.logs, user: system.userService.logs, message: system.messageService.logs };
    for (const [service, text] of Object.entries(logs)) {
      expect({ service, lines: text.length > 0 }).toEqual({ service, lines: true });
      expect({ service, token: text.includes(stolenToken) || text.includes(stolenToken.split('.')[2] ?? '') }).toEqual({ service, token: false });
      expect({ service, proof: text.includes(proof) || text.includes(proof.split('.')[2] ?? '') }).toEqual({ service, proof: false });
      // A proof's header carries the public key; a private key member would be `"d":`.
      expect({ service, privateKey: /"d"\s*:\s*"/.test(text) }).toEqual({ service, privateKey: false });
    }
  });

  it("still serves user-service's next call: 200 (a fresh proof each time)", async () => {
    const before = sidecar.seen.length;
    const answer = await call<MessageListResponse>(`${system.userServiceUrl}/api/users/messages`, { token: alice.access_token });
    expect(answer.status).toBe(200);
    const next = sidecar.lastAuthorized();
    expect(sidecar.seen.length).toBeGreaterThan(before);
    expect(next.headers.dpop).not.toBe(copied.headers.dpop);
  });
});
