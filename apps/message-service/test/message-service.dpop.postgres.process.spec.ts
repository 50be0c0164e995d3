import { AppProcess, freePort, TestPostgres } from '@baton/testing';
import { createDpopProof, DpopTestKey, generateDpopKey, startTestIssuer, TestIssuer } from '@baton/resource-server/testing';

jest.setTimeout(180_000);

/** Both replicas sit behind one public URL, which every proof's `htu` names. */
const PUBLIC_URL = 'https://messages.example';
const INBOX = `${PUBLIC_URL}/api/messages`;

/**
 * Two built message-service processes on one PostgreSQL: the DPoP proofs one replica accepted are
 * refused by the other (the replay records are on the database), and of identical proofs sent to
 * both at once exactly one goes through. Tokens come from a stand-in issuer with `cnf.jkt`.
 */
describe('message-service DPoP replay records on PostgreSQL (two replicas)', () => {
  let server: TestPostgres;
  let issuer: TestIssuer;
  let key: DpopTestKey;
  let replicas: { process: AppProcess; url: string }[] = [];

  beforeAll(async () => {
    [server, issuer] = await Promise.all([TestPostgres.start(), startTestIssuer({ audience: 'message-service' })]);
    key = generateDpopKey('ES256');
    const database = await server.createDatabase('dpop');
    const start = async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const process = await AppProcess.start({
        app: 'message-service',
        env: {
          MESSAGE_SERVICE_PORT: String(port),
          MESSAGE_SERVICE_DATABASE: database,
          MESSAGE_SERVICE_PUBLIC_URL: PUBLIC_URL,
          MESSAGE_SERVICE_SEED_DEMO_DATA: 'false',
          AUTH_ISSUER: issuer.issuer,
          LOG_LEVEL: 'info',
        },
        healthUrl: `${url}/health/ready`,
        timeoutMs: 40_000,
      });
      return { process, url };
    };
    replicas = await Promise.all([start(), start()]);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.process.stop('SIGKILL')));
    await issuer?.stop();
    await server?.stop();
  });

  const exchangedToken = () =>
    issuer.forgeToken({ sub: 'alice', scope: 'message.read message.write', act: { sub: 'user-service' }, cnf: { jkt: key.thumbprint } });
  const read = (url: string, token: string, proof: string) =>
    fetch(`${url}/api/messages`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });

  it('accepts a proof at one replica and refuses it at the other: 401 invalid_dpop_proof', async () => {
    const [a, b] = replicas;
    const token = await exchangedToken();
    const proof = createDpopProof(key, { htm: 'GET', htu: INBOX, accessToken: token });
    expect((await read(a.url, token, proof)).status).toBe(200);
    const replayed = await read(b.url, token, proof);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toEqual({ error: 'invalid_dpop_proof', message: 'The DPoP proof has been used before' });
    expect(replayed.headers.get('www-authenticate')).toMatch(
      /^DPoP realm="message-service", error="invalid_dpop_proof", error_description="The DPoP proof has been used before", algs="ES256 EdDSA ES384 PS256 RS256"/,
    );
    // A fresh proof of the same key works at either.
    expect((await read(b.url, token, createDpopProof(key, { htm: 'GET', htu: INBOX, accessToken: token }))).status).toBe(200);
  });

  it('lets exactly one of 20 identical proofs through, sent to both replicas at once', async () => {
    const token = await exchangedToken();
    const proof = createDpopProof(key, { htm: 'GET', htu: INBOX, accessToken: token });
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, index) => read(replicas[index % 2].url, token, proof).then((answer) => answer.status)));
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
  });

  it('refuses the exchanged token as Bearer (it is bound), and an unbound exchanged token (DPoP required for act)', async () => {
    const bound = await exchangedToken();
    const asBearer = await fetch(`${replicas[0].url}/api/messages`, { headers: { authorization: `Bearer ${bound}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const unbound = await issuer.forgeToken({ sub: 'alice', scope: 'message.read', act: { sub: 'user-service' } });
    const refused = await fetch(`${replicas[1].url}/api/messages`, { headers: { authorization: `Bearer ${unbound}` } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: 'invalid_token',
      message: 'This service accepts this access token only when it is bound to a DPoP key',
    });
    // A user's own token (no act) stays a bearer token.
    const signIn = await issuer.forgeToken({ sub: 'alice', scope: 'message.read' });
    expect((await fetch(`${replicas[1].url}/api/messages`, { headers: { authorization: `Bearer ${signIn}` } })).status).toBe(200);
  });

  it('answers 503 with Retry-After, never an unchecked 200, while the database cannot record the proof', async () => {
    const token = await exchangedToken();
    await server.stopServer();
    try {
      const answer = await read(replicas[0].url, token, createDpopProof(key, { htm: 'GET', htu: INBOX, accessToken: token }));
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect((await answer.json()) as Record<string, unknown>).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await server.startServer();
    }
    expect(replicas[0].process.logs).toContain('a DPoP proof cannot be checked for replay');
  });

  it('keeps only a hash and an expiry per proof, no proof or token in the logs', async () => {
    const token = await exchangedToken();
    const proof = createDpopProof(key, { htm: 'GET', htu: INBOX, accessToken: token });
    expect((await read(replicas[0].url, token, proof)).status).toBe(200);
    for (const replica of replicas) {
      expect(replica.process.logs).not.toContain(token);
      expect(replica.process.logs).not.toContain(proof);
    }
  });
});
