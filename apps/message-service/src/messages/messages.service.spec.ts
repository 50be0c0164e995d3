import { BadRequestException, NotFoundException } from '@nestjs/common';
import { Principal } from '@baton/resource-server';
import { SqliteDatabase } from '../database/sqlite-database';
import { MessageCursor } from './message-cursor';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';

function principal(sub: string, act: Principal['act'] = null): Principal {
  return {
    sub,
    clientId: 'demo-app',
    scopes: ['message.read', 'message.write'],
    act,
    token: 'unused',
    claims: { iss: 'x', sub, aud: 'message-service', exp: 0, client_id: 'demo-app' },
  };
}

describe('MessagesService (real SQLite in memory)', () => {
  let database: SqliteDatabase;
  let service: MessagesService;
  let cursors: MessageCursor;
  const alice = principal('alice');
  const bob = principal('bob');
  const carol = principal('carol');

  beforeEach(() => {
    database = new SqliteDatabase(':memory:');
    const repository = new MessagesRepository(database);
    cursors = new MessageCursor(repository);
    service = new MessagesService(repository, cursors);
  });

  afterEach(() => database.onApplicationShutdown());

  it('stores a message from the caller and lists it in the recipient inbox only', () => {
    const sent = service.send(bob, { to: 'alice', text: 'hello' });
    expect(sent).toEqual({ id: expect.any(String), from: 'bob', to: 'alice', text: 'hello', createdAt: expect.any(String) });
    expect(service.list(alice, {}).messages).toEqual([sent]);
    expect(service.list(bob, {}).messages).toEqual([]);
    expect(service.list(carol, {}).messages).toEqual([]);
  });

  it('says on whose behalf and through whom the call came', () => {
    expect(service.list(alice, {})).toMatchObject({ subject: 'alice', actor: null });
    const delegated = principal('alice', { sub: 'user-service', act: { sub: 'gateway' } });
    expect(service.list(delegated, {})).toMatchObject({ subject: 'alice', actor: 'user-service' });
  });

  it('pages newest first with a cursor until the last page', () => {
    const texts = Array.from({ length: 7 }, (_, i) => `message ${i}`);
    for (const text of texts) service.send(bob, { to: 'alice', text });
    service.send(alice, { to: 'bob', text: 'not in alice inbox' });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = service.list(alice, { limit: 3, cursor });
      seen.push(...page.messages.map((message) => message.text));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...texts].reverse());
  });

  it('has no next page when the inbox fits exactly', () => {
    for (let i = 0; i < 3; i += 1) service.send(bob, { to: 'alice', text: `m${i}` });
    expect(service.list(alice, { limit: 3 }).nextCursor).toBeNull();
    expect(service.list(alice, { limit: 2 }).nextCursor).not.toBeNull();
  });

  it('defaults to 20 messages a page', () => {
    for (let i = 0; i < 25; i += 1) service.send(bob, { to: 'alice', text: `m${i}` });
    expect(service.list(alice, {}).messages).toHaveLength(20);
  });

  it('refuses a cursor it did not make, another inbox\'s, or one changed by a bit', () => {
    const made = cursors.encode(5, 'alice');
    const flipped = Buffer.from(made, 'base64url');
    flipped[14] = (flipped[14] ?? 0) ^ 1;
    for (const cursor of [
      'abc',
      made.slice(1),
      `${made}A`,
      flipped.toString('base64url'),
      Buffer.from('m5').toString('base64url'),
      cursors.encode(5, 'bob'),
      new MessageCursor(new MessagesRepository(new SqliteDatabase(':memory:'))).encode(5, 'alice'),
    ]) {
      expect(() => service.list(alice, { cursor })).toThrow(BadRequestException);
    }
    expect(() => service.list(alice, { cursor: made })).not.toThrow();
  });

  it('seals cursors: the same position gives a different cursor each time, of one length, decoding to it', () => {
    const first = cursors.encode(7, 'alice');
    const second = cursors.encode(7, 'alice');
    expect(first).not.toBe(second);
    expect(cursors.encode(1, 'alice')).toHaveLength(first.length);
    expect(cursors.encode(Number.MAX_SAFE_INTEGER - 1, 'alice')).toHaveLength(first.length);
    expect(cursors.decode(first, 'alice')).toBe(7);
    expect(cursors.decode(second, 'alice')).toBe(7);
  });

  it('shows a message to its sender and recipient only; to anyone else it does not exist', () => {
    const sent = service.send(bob, { to: 'alice', text: 'private' });
    expect(service.get(alice, sent.id)).toEqual(sent);
    expect(service.get(bob, sent.id)).toEqual(sent);
    const otherwise = (() => {
      try {
        service.get(carol, sent.id);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(otherwise).toBeInstanceOf(NotFoundException);
    expect((otherwise as NotFoundException).getResponse()).toEqual({ error: 'not_found', message: 'No such message' });
    // The same answer as for an id that never existed.
    expect(() => service.get(carol, '00000000-0000-4000-8000-000000000000')).toThrow(NotFoundException);
  });
});
