import { MessageListResponse, MessageResponse } from '@baton/dto';
import { AppProcess, AuthServerHarness, freePort, jsonLogLines, startAuthServer, TestPostgres } from '@baton/testing';

jest.setTimeout(180_000);

const SCOPE = 'openid message.read message.write';

/**
 * The built message-service as real processes on a real PostgreSQL: the database stopped and
 * started under it, kill -9 after acknowledged messages, and two replicas on one database.
 */
describe('message-service on PostgreSQL (processes)', () => {
  let auth: AuthServerHarness;
  let server: TestPostgres;
  let alice: string;
  let bob: string;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    [auth, server] = await Promise.all([startAuthServer(), TestPostgres.start()]);
    [alice, bob] = (
      await Promise.all([
        auth.login('alice', 'alice-password', { resource: 'message-service', scope: SCOPE }),
        auth.login('bob', 'bob-password', { resource: 'message-service', scope: SCOPE }),
      ])
    ).map((tokens) => tokens.access_token);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((process) => process.stop('SIGKILL')));
  });

  afterAll(async () => {
    await auth?.stop();
    await server?.stop();
  });

  async function start(database: string, env: Record<string, string> = {}): Promise<{ process: AppProcess; url: string }> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const process = await AppProcess.start({
      app: 'message-service',
      env: { MESSAGE_SERVICE_PORT: String(port), MESSAGE_SERVICE_DATABASE: database, AUTH_ISSUER: auth.issuer, LOG_LEVEL: 'info', ...env },
      healthUrl: `${url}/health/ready`,
      timeoutMs: 40_000,
    });
    running.push(process);
    return { process, url };
  }

  const post = (url: string, token: string, to: string, text: string) =>
    fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to, text }),
    });

  /** Every message in the token holder's inbox, newest first, page by page. */
  async function inbox(url: string, token: string): Promise<MessageResponse[]> {
    const messages: MessageResponse[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? 'limit=100' : `limit=100&cursor=${cursor}`;
      const response = await fetch(`${url}/api/messages?${query}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as MessageListResponse;
      messages.push(...page.messages);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return messages;
  }

  it('answers 503 with Retry-After while the database is stopped, acknowledges nothing, is not ready, and works again once it is back, without a restart', async () => {
    const database = await server.createDatabase('outage');
    const password = new URL(database).password;
    const { process, url } = await start(database, { MESSAGE_SERVICE_SEED_DEMO_DATA: 'false' });
    const acknowledged: string[] = [];
    const first = await post(url, bob, 'alice', 'before the outage');
    expect(first.status).toBe(201);
    acknowledged.push(((await first.json()) as MessageResponse).id);

    await server.stopServer();
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const refused = await post(url, bob, 'alice', `during the outage ${attempt}`);
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('5');
        expect(await refused.json()).toEqual({
          error: 'temporarily_unavailable',
          message: 'The message store cannot be reached right now. Try again later.',
        });
      }
      const read = await fetch(`${url}/api/messages`, { headers: { authorization: `Bearer ${alice}` } });
      expect(read.status).toBe(503);
      expect(read.headers.get('retry-after')).toBe('5');
      const notReady = await fetch(`${url}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(JSON.stringify(await notReady.json())).toContain('the database does not answer');
      // Still alive: the orchestrator must not restart it for this.
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
    } finally {
      await server.startServer();
    }

    // Back: ready at the next probe, storing again, on the same process.
    let ready = 0;
    for (let attempt = 0; attempt < 50 && ready !== 200; attempt += 1) {
      ready = (await fetch(`${url}/health/ready`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ready).toBe(200);
    const after = await post(url, bob, 'alice', 'after the outage');
    expect(after.status).toBe(201);
    acknowledged.push(((await after.json()) as MessageResponse).id);
    expect((await inbox(url, alice)).map((message) => message.id)).toEqual([...acknowledged].reverse());

    // One error line per refused request, naming the failure, never the URL's password; no stack.
    const refusals = jsonLogLines(process.logs).filter((line) => String(line['msg']).startsWith('the message database cannot be reached'));
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    expect(refusals[0]).toMatchObject({ level: 'error' });
    expect(process.logs).not.toContain(password);
    expect(process.logs).not.toMatch(/\n\s+at /);
  });

  it('keeps every acknowledged message through kill -9 right after a run of POSTs', async () => {
    const database = await server.createDatabase('killed');
    const first = await start(database, { MESSAGE_SERVICE_SEED_DEMO_DATA: 'false' });
    const acknowledged = new Set<string>();
    const sender = async (worker: number) => {
      for (let index = 0; index < 25; index += 1) {
        const answer = await post(first.url, bob, 'alice', `worker ${worker} message ${index}`).catch(() => undefined);
        if (answer?.status === 201) acknowledged.add(((await answer.json()) as MessageResponse).id);
      }
    };
    await Promise.all([0, 1, 2, 3].map(sender));
    expect(acknowledged.size).toBe(100);
    // More on their way when the process dies: those may or may not be stored, but never half.
    const inFlight = [4, 5].map(sender);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await first.process.stop('SIGKILL')).toBeNull();
    await Promise.all(inFlight);

    const second = await start(database, { MESSAGE_SERVICE_SEED_DEMO_DATA: 'false' });
    const stored = (await inbox(second.url, alice)).map((message) => message.id);
    expect(stored.filter((id) => acknowledged.has(id))).toHaveLength(acknowledged.size);
    expect(new Set(stored).size).toBe(stored.length);
  });

  it('serves one inbox from two replicas on one database: POSTs spread over both are visible from both, demo seeded once', async () => {
    const database = await server.createDatabase('replicas');
    // Both start at the same moment on the empty database: migrations and seeding race.
    const [a, b] = await Promise.all([start(database), start(database)]);
    const sent: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const replica = index % 2 === 0 ? a : b;
      const answer = await post(replica.url, index % 3 === 0 ? alice : bob, index % 3 === 0 ? 'bob' : 'alice', `spread ${index}`);
      expect(answer.status).toBe(201);
      sent.push(((await answer.json()) as MessageResponse).id);
    }
    for (const replica of [a, b]) {
      const aliceInbox = await inbox(replica.url, alice);
      const bobInbox = await inbox(replica.url, bob);
      const ids = new Set([...aliceInbox, ...bobInbox].map((message) => message.id));
      expect(sent.filter((id) => ids.has(id))).toHaveLength(sent.length);
      // alice has 3 demo messages and bob 2: one set, whichever replica stored it.
      expect(aliceInbox.length + bobInbox.length).toBe(sent.length + 5);
      // A cursor made by one replica pages on the other (one key in the database).
      const page = (await (await fetch(`${replica.url}/api/messages?limit=2`, { headers: { authorization: `Bearer ${alice}` } })).json()) as MessageListResponse;
      const other = replica === a ? b : a;
      const next = await fetch(`${other.url}/api/messages?limit=2&cursor=${page.nextCursor}`, { headers: { authorization: `Bearer ${alice}` } });
      expect(next.status).toBe(200);
      expect(((await next.json()) as MessageListResponse).messages).toEqual(aliceInbox.slice(2, 4));
    }
    const seededLines = [a, b].flatMap((replica) => jsonLogLines(replica.process.logs)).filter((line) => String(line['msg']).startsWith('Stored 5 demo messages'));
    expect(seededLines).toHaveLength(1);
    // The start-up summary names the database without its password.
    const password = new URL(database).password;
    for (const replica of [a, b]) {
      expect(replica.process.logs).toContain(`postgres://postgres@127.0.0.1:${server.port}/${new URL(database).pathname.slice(1)}`);
      expect(replica.process.logs).not.toContain(password);
    }
  });

  it('waits at start for a database that is not up yet, and starts when it comes', async () => {
    const database = await server.createDatabase('late');
    await server.stopServer();
    const port = await freePort();
    const starting = AppProcess.start({
      app: 'message-service',
      env: { MESSAGE_SERVICE_PORT: String(port), MESSAGE_SERVICE_DATABASE: database, AUTH_ISSUER: auth.issuer, LOG_LEVEL: 'info' },
      healthUrl: `http://127.0.0.1:${port}/health/ready`,
      timeoutMs: 40_000,
    });
    // Long enough for the process to reach its first connection attempt on a loaded machine
    // (its log lines are buffered until start-up ends, so they cannot be waited for).
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await server.startServer();
    const process = await starting;
    running.push(process);
    expect(jsonLogLines(process.logs).some((line) => String(line['msg']).startsWith('waiting for the message database'))).toBe(true);
    expect(process.logs).not.toContain(new URL(database).password);
    expect((await inbox(`http://127.0.0.1:${port}`, alice)).length).toBe(3);
  });
});
