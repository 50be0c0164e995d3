import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@baton/config';
import { MessageListResponse, MessageResponse } from '@baton/dto';
import { AuthServerHarness, startAuthServer } from '@baton/testing';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module';
import { messageServiceConfig } from '../src/config/message-service.config';

const REALM = 'Bearer realm="message-service"';
// RFC 9728 §5.1: every challenge names the protected resource metadata (default resource http://localhost:8081).
const METADATA_URL = 'http://localhost:8081/.well-known/oauth-protected-resource';
const RESOURCE_METADATA = `, resource_metadata="${METADATA_URL}"`;
const invalidToken = (description: string) =>
  `${REALM}, error="invalid_token", error_description="${description}"${RESOURCE_METADATA}`;

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  challenge: string | null;
  location: string | null;
}

/**
 * message-service in-process (real HTTP on 127.0.0.1, in-memory database) against the real auth
 * server (built bundle) issuing real tokens.
 */
describe('message-service with real tokens', () => {
  let auth: AuthServerHarness;
  let app: INestApplication;
  let baseUrl: string;
  let alice: string; // message-service, message.read + message.write
  let bob: string;
  let bobWriteOnly: string;
  let aliceReadOnly: string;

  beforeAll(async () => {
    auth = await startAuthServer();
    const config = loadConfig(messageServiceConfig.schema, {
      AUTH_ISSUER: auth.issuer,
      MESSAGE_SERVICE_DATABASE: ':memory:',
      LOG_LEVEL: 'warn',
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(messageServiceConfig.KEY)
      .useValue(config)
      .compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    const forMessages = { resource: 'message-service' };
    [alice, bob, bobWriteOnly, aliceReadOnly] = (
      await Promise.all([
        auth.login('alice', 'alice-password', { ...forMessages, scope: 'openid message.read message.write' }),
        auth.login('bob', 'bob-password', { ...forMessages, scope: 'openid message.read message.write' }),
        auth.login('bob', 'bob-password', { ...forMessages, scope: 'openid message.write' }),
        auth.login('alice', 'alice-password', { ...forMessages, scope: 'openid message.read' }),
      ])
    ).map((tokens) => tokens.access_token);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await auth?.stop();
  });

  async function call<T = Record<string, unknown>>(
    path: string,
    token?: string,
    init: { method?: string; body?: unknown; rawBody?: string } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    return {
      status: response.status,
      body: (await response.json()) as T,
      challenge: response.headers.get('www-authenticate'),
      location: response.headers.get('location'),
    };
  }

  const send = (token: string, body: unknown) => call<MessageResponse>('/api/messages', token, { method: 'POST', body });

  describe('GET /api/messages', () => {
    it('gives a message-service token with message.read only its own user’s messages, newest first', async () => {
      const answer = await call<MessageListResponse>('/api/messages', alice);
      expect(answer.status).toBe(200);
      expect(answer.body.subject).toBe('alice');
      expect(answer.body.actor).toBeNull();
      expect(answer.body.messages.length).toBeGreaterThan(0);
      expect(answer.body.messages.every((message) => message.to === 'alice')).toBe(true);
      const times = answer.body.messages.map((message) => message.createdAt);
      expect(times).toEqual([...times].sort().reverse());

      const bobs = await call<MessageListResponse>('/api/messages', bob);
      expect(bobs.body.subject).toBe('bob');
      expect(bobs.body.messages.every((message) => message.to === 'bob')).toBe(true);
      const aliceIds = new Set(answer.body.messages.map((message) => message.id));
      expect(bobs.body.messages.some((message) => aliceIds.has(message.id))).toBe(false);
    });

    it('refuses a user-service token (wrong audience) with 401 invalid_token', async () => {
      const clientToken = (await auth.clientCredentials()).access_token;
      const userToken = (await auth.login('alice', 'alice-password')).access_token;
      for (const token of [clientToken, userToken]) {
        const answer = await call('/api/messages', token);
        expect(answer.status).toBe(401);
        expect(answer.challenge).toBe(invalidToken('The access token is not meant for this service'));
        expect(answer.body).toEqual({ error: 'invalid_token', message: 'The access token is not meant for this service' });
      }
    });

    it('refuses message.write without message.read with 403 insufficient_scope', async () => {
      const answer = await call('/api/messages', bobWriteOnly);
      expect(answer.status).toBe(403);
      expect(answer.challenge).toBe(`${REALM}, error="insufficient_scope", scope="message.read"${RESOURCE_METADATA}`);
      expect(answer.body).toEqual({
        error: 'insufficient_scope',
        message: 'The access token lacks the required scope: message.read',
      });
    });

    it('answers 401 with a bare challenge naming both schemes when there is no token (RFC 9449 §7.1)', async () => {
      const answer = await call('/api/messages');
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(
        `${REALM}${RESOURCE_METADATA}, DPoP realm="message-service", algs="ES256 EdDSA ES384 PS256 RS256"${RESOURCE_METADATA}`,
      );
    });

    it('publishes its protected resource metadata (RFC 9728) without a token, cacheable', async () => {
      const response = await fetch(`${baseUrl}/.well-known/oauth-protected-resource`, {
        headers: { 'x-forwarded-host': 'evil.example' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
      expect(await response.json()).toEqual({
        resource: 'http://localhost:8081',
        authorization_servers: [auth.issuer],
        scopes_supported: ['message.read', 'message.write'],
        bearer_methods_supported: ['header'],
        resource_signing_alg_values_supported: ['ES256'],
        dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'],
        // Only exchanged tokens must be bound: a user's own sign-in token stays a bearer token.
        dpop_bound_access_tokens_required: false,
      });
    });

    it('pages with limit and nextCursor, newest first', async () => {
      for (let i = 0; i < 3; i += 1) expect((await send(bob, { to: 'alice', text: `for paging ${i}` })).status).toBe(201);
      const first = await call<MessageListResponse>('/api/messages?limit=2', alice);
      expect(first.body.messages.map((message) => message.text)).toEqual(['for paging 2', 'for paging 1']);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await call<MessageListResponse>(`/api/messages?limit=2&cursor=${first.body.nextCursor}`, alice);
      expect(second.body.messages[0].text).toBe('for paging 0');
      expect(second.body.messages.every((message) => message.to === 'alice')).toBe(true);

      const everything: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `limit=3&cursor=${cursor}` : 'limit=3';
        const page: Answer<MessageListResponse> = await call<MessageListResponse>(`/api/messages?${query}`, alice);
        everything.push(...page.body.messages.map((message) => message.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      const all = await call<MessageListResponse>('/api/messages?limit=100', alice);
      expect(everything).toEqual(all.body.messages.map((message) => message.id));
    });

    it('[H15] refuses a limit that is not in decimal digits (0x10, 1e2) with 400 naming the field', async () => {
      for (const limit of ['0x10', '1e2']) {
        const answer = await call(`/api/messages?limit=${limit}`, alice);
        expect(answer.status).toBe(400);
        // class-validator also reports the range checks that a string fails; the decimal-digits problem is among them.
        expect(answer.body).toEqual({
          error: 'validation_failed',
          message: 'The request is invalid',
          fields: [{ field: 'limit', problems: expect.arrayContaining(['limit must be a whole number written in decimal digits']) }],
        });
      }
      expect((await call('/api/messages?limit=016', alice)).status).toBe(200);
    });

    it('[H15] hands out sealed cursors: no message count in them, none valid in another inbox, a tampered one is 400', async () => {
      for (let i = 0; i < 3; i += 1) {
        expect((await send(bob, { to: 'alice', text: `cursor ${i}` })).status).toBe(201);
        expect((await send(alice, { to: 'bob', text: `cursor ${i}` })).status).toBe(201);
      }
      const alicePage = await call<MessageListResponse>('/api/messages?limit=1', alice);
      const again = await call<MessageListResponse>('/api/messages?limit=1', alice);
      const bobPage = await call<MessageListResponse>('/api/messages?limit=1', bob);
      const cursors = [alicePage.body.nextCursor, again.body.nextCursor, bobPage.body.nextCursor];
      for (const cursor of cursors) {
        expect(cursor).toMatch(/^[A-Za-z0-9_-]{48}$/);
        // Not the row number the old cursor carried as base64url("m<seq>"): every cursor is 36 sealed bytes.
        expect(Buffer.from(cursor ?? '', 'base64url').toString('latin1')).not.toMatch(/^m\d+$/);
      }
      // The same position twice: two different cursors, both leading to the same next page.
      expect(again.body.nextCursor).not.toBe(alicePage.body.nextCursor);
      const next = await call<MessageListResponse>(`/api/messages?limit=1&cursor=${alicePage.body.nextCursor}`, alice);
      const nextAgain = await call<MessageListResponse>(`/api/messages?limit=1&cursor=${again.body.nextCursor}`, alice);
      expect(next.status).toBe(200);
      expect(nextAgain.body.messages).toEqual(next.body.messages);

      const refusal = {
        error: 'validation_failed',
        message: 'The request is invalid',
        fields: [{ field: 'cursor', problems: ['cursor must be a nextCursor value from a previous page'] }],
      };
      // Bob's cursor in alice's inbox (and the other way round) is refused: it says nothing about her inbox.
      expect(await call(`/api/messages?cursor=${bobPage.body.nextCursor}`, alice)).toMatchObject({ status: 400, body: refusal });
      expect(await call(`/api/messages?cursor=${alicePage.body.nextCursor}`, bob)).toMatchObject({ status: 400, body: refusal });
      const tampered = Buffer.from(alicePage.body.nextCursor ?? '', 'base64url');
      tampered[13] = (tampered[13] ?? 0) ^ 0x01;
      expect(await call(`/api/messages?cursor=${tampered.toString('base64url')}`, alice)).toMatchObject({ status: 400, body: refusal });
      // A cursor in the old, readable form.
      expect(await call(`/api/messages?cursor=${Buffer.from('m1000').toString('base64url')}`, alice)).toMatchObject({
        status: 400,
        body: refusal,
      });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=0x10', 'limit'],
      ['limit=1e2', 'limit'],
      ['limit=%2B5', 'limit'],
      ['limit=%205', 'limit'],
      ['limit=0b11', 'limit'],
      ['limit=5&limit=6', 'limit'],
      ['cursor=not%20a%20cursor', 'cursor'],
      ['cursor=abc', 'cursor'],
      ['sort=asc', 'sort'],
    ])('refuses the query %s with 400 validation_failed on %s', async (query, field) => {
      const answer = await call<{ error: string; fields: Array<{ field: string }> }>(`/api/messages?${query}`, alice);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('validation_failed');
      expect(answer.body.fields.map((entry) => entry.field)).toEqual([field]);
    });
  });

  describe('POST /api/messages', () => {
    it('stores the message from the token’s sub and answers 201 with it', async () => {
      const answer = await send(bob, { to: 'alice', text: 'Hello from a test' });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        from: 'bob',
        to: 'alice',
        text: 'Hello from a test',
        createdAt: expect.any(String),
      });
      expect(answer.location).toBe(`/api/messages/${answer.body.id}`);
      const inbox = await call<MessageListResponse>('/api/messages?limit=1', alice);
      expect(inbox.body.messages[0]).toEqual(answer.body);
    });

    it('accepts message.write alone, and exactly 2000 characters', async () => {
      const answer = await send(bobWriteOnly, { to: 'alice', text: 'x'.repeat(2000) });
      expect(answer.status).toBe(201);
      expect(answer.body.text).toHaveLength(2000);
    });

    it('refuses message.read alone with 403 insufficient_scope', async () => {
      const answer = await send(aliceReadOnly, { to: 'bob', text: 'hi' });
      expect(answer.status).toBe(403);
      expect(answer.challenge).toBe(`${REALM}, error="insufficient_scope", scope="message.write"${RESOURCE_METADATA}`);
    });

    it.each<[string, unknown, Record<string, string[]>]>([
      ['an empty text', { to: 'bob', text: '' }, { text: expect.arrayContaining(['text must be longer than or equal to 1 characters', 'text must not be blank']) }],
      ['a blank text', { to: 'bob', text: ' \n\t ' }, { text: ['text must not be blank'] }],
      ['an oversized text', { to: 'bob', text: 'x'.repeat(2001) }, { text: ['text must be shorter than or equal to 2000 characters'] }],
      ['a text that is not a string', { to: 'bob', text: 42 }, { text: expect.arrayContaining(['text must be a string']) }],
      ['no recipient', { text: 'hi' }, { to: expect.arrayContaining(['to must be a string']) }],
      ['a recipient with spaces', { to: 'bob smith', text: 'hi' }, { to: ['to must not contain spaces or control characters'] }],
      ['an unknown field', { to: 'bob', text: 'hi', from: 'mallory' }, { from: ['property from should not exist'] }],
    ])('refuses %s with 400 validation_failed and the field errors', async (_name, body, fields) => {
      const answer = await send(alice, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: 'validation_failed',
        message: 'The request is invalid',
        fields: Object.entries(fields).map(([field, problems]) => ({ field, problems })),
      });
    });

    it('[H11] refuses a lone UTF-16 surrogate in the text or the recipient with 400 naming the field, and stores nothing', async () => {
      const before = await call<MessageListResponse>('/api/messages?limit=100', bob);
      for (const [rawBody, field] of [
        ['{"to":"bob","text":"broken \\ud800 half"}', 'text'],
        ['{"to":"bob","text":"\\udc00"}', 'text'],
        ['{"to":"bob","text":"ends with \\ud83d"}', 'text'],
        ['{"to":"b\\ud800ob","text":"hi"}', 'to'],
      ] as const) {
        const answer = await call('/api/messages', alice, { method: 'POST', rawBody });
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual({
          error: 'validation_failed',
          message: 'The request is invalid',
          fields: [{ field, problems: [`${field} must be valid Unicode: no lone surrogate (\\ud800-\\udfff)`] }],
        });
      }
      expect((await call<MessageListResponse>('/api/messages?limit=100', bob)).body.messages).toEqual(before.body.messages);
      // A whole surrogate pair (an emoji) is text like any other, and comes back unchanged.
      const emoji = await call<MessageResponse>('/api/messages', alice, { method: 'POST', rawBody: '{"to":"bob","text":"\\ud83d\\ude00"}' });
      expect(emoji.status).toBe(201);
      expect(emoji.body.text).toBe('\u{1F600}');
      expect((await call<MessageResponse>(`/api/messages/${emoji.body.id}`, bob)).body.text).toBe('\u{1F600}');
    });

    it('refuses a body that is not JSON, or not an object', async () => {
      const broken = await call('/api/messages', alice, { method: 'POST', rawBody: '{"to":' });
      expect(broken.status).toBe(400);
      expect(broken.body['error']).toBe('bad_request');
      const list = await call('/api/messages', alice, { method: 'POST', rawBody: '[]' });
      expect(list.status).toBe(400);
      expect(list.body['error']).toBe('validation_failed');
    });
  });

  describe('GET /api/messages/:id', () => {
    it('shows a message to its sender and recipient, 404 to anyone else (same as a missing one)', async () => {
      const sent = (await send(bob, { to: 'alice', text: 'for alice only' })).body;
      expect((await call(`/api/messages/${sent.id}`, alice)).body).toEqual(sent);
      expect((await call(`/api/messages/${sent.id}`, bob)).body).toEqual(sent);
      // Alice is the outsider of a message from bob to carol (a client's own client_credentials
      // token for message-service is no longer issued: clientCredentials.targets).
      const toCarol = (await send(bob, { to: 'carol', text: 'for carol only' })).body;
      expect((await call(`/api/messages/${toCarol.id}`, bob)).body).toEqual(toCarol);
      const hidden = await call(`/api/messages/${toCarol.id}`, alice);
      const missing = await call(`/api/messages/${randomUUID()}`, alice);
      expect(hidden.status).toBe(404);
      expect(hidden.body).toEqual({ error: 'not_found', message: 'No such message' });
      expect(missing).toEqual(hidden);
    });

    it('requires message.read', async () => {
      const sent = (await send(bobWriteOnly, { to: 'alice', text: 'x' })).body;
      expect((await call(`/api/messages/${sent.id}`, bobWriteOnly)).status).toBe(403);
    });
  });

  describe('forged versions of real tokens → 401 invalid_token', () => {
    const parts = (token: string) => token.split('.');
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claimsOf = (token: string) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString()) as Record<string, unknown>;

    it('one flipped byte of the signature', async () => {
      const [header, payload, signature] = parts(alice);
      const bytes = Buffer.from(signature, 'base64url');
      bytes[5] ^= 0x80;
      const answer = await call('/api/messages', `${header}.${payload}.${bytes.toString('base64url')}`);
      expect(answer.challenge).toBe(invalidToken('The access token signature is invalid'));
    });

    it('another user’s sub under alice’s signature', async () => {
      const [header, , signature] = parts(alice);
      const answer = await call('/api/messages', `${header}.${b64({ ...claimsOf(alice), sub: 'bob' })}.${signature}`);
      expect(answer.challenge).toBe(invalidToken('The access token signature is invalid'));
    });

    it('alg none', async () => {
      const answer = await call('/api/messages', `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claimsOf(alice))}.`);
      expect(answer.challenge).toBe(invalidToken('The access token is signed with an algorithm that is not accepted'));
    });

    it('signed by a key the auth server never published', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker' })}.${b64(claimsOf(alice))}`;
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const answer = await call('/api/messages', `${input}.${signature.toString('base64url')}`);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(invalidToken('The access token is signed by an unknown key'));
    });
  });

  it('answers the health probes without a token', async () => {
    const live = await fetch(`${baseUrl}/health`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { jwks: { status: 'up' }, database: { status: 'up' } } });
  });
});
