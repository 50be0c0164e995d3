import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@baton/testing';
import { AttackerServer } from '../support/attacker-server';
import { basic, claimsOf, Reply, send } from '../support/http';
import { ResourceServerUnderTest, SecuritySystem } from '../support/security-system';
import { AttackContext } from './attack-context';
import { EXCHANGE_ATTACKS } from './exchange-attacks';
import { attackerKey } from './forge';
import { REQUEST_ATTACKS } from './request-attacks';
import { TOKEN_ATTACKS, TOKEN_REFUSALS } from './token-attacks';

/**
 * The attack catalogue of docs/security.md, sent to the real services: every token attack to both
 * resource servers and to the token-exchange grant, every request attack to both resource
 * servers, every exchange attack to the grant. Each checks status, `error` and the challenge.
 */
describe('attack catalogue', () => {
  let system: SecuritySystem;
  let attacker: AttackerServer;
  let base: Omit<AttackContext, 'audience' | 'otherAudience'>;
  const replies: { id: string; reply: Reply }[] = [];

  beforeAll(async () => {
    system = await SecuritySystem.start();
    const key = attackerKey();
    attacker = await AttackerServer.start({ keys: [key.publicJwk] });
    const alice = await system.login('alice');
    const exchanged = await system.exchange({ subject_token: alice.access_token, scope: 'message.read' });
    if (exchanged.status !== 200) throw new Error(`the control exchange failed: ${exchanged.text}`);
    const serviceToken = await system.auth.clientCredentials();
    base = {
      system,
      attackerKey: key,
      attackerServer: attacker,
      alice,
      aliceExchanged: String(exchanged.json?.['access_token']),
      serviceToken: serviceToken.access_token,
    };
  });

  afterAll(async () => {
    await attacker?.stop();
    await system?.stop();
  });

  const contextFor = (audience: string): AttackContext => ({
    ...base,
    audience,
    otherAudience: audience === 'user-service' ? 'message-service' : 'user-service',
  });

  const record = (id: string, reply: Reply): Reply => {
    replies.push({ id, reply });
    return reply;
  };

  describe.each(['user-service', 'message-service'] as const)('%s', (name) => {
    const server = (): ResourceServerUnderTest => (name === 'user-service' ? system.userService : system.messageService);
    // RFC 9728 §5.1: every challenge ends with the protected resource metadata's URL (the
    // service's default resource identifier is http://localhost:<its port>).
    const challenge = (parts: string): string =>
      `Bearer realm="${name}"${parts}, resource_metadata="http://localhost:${new URL(server().baseUrl).port}/.well-known/oauth-protected-resource"`;

    const dpopChallenge = (): string =>
      `DPoP realm="${name}", algs="ES256 EdDSA ES384 PS256 RS256", resource_metadata="http://localhost:${new URL(server().baseUrl).port}/.well-known/oauth-protected-resource"`;

    describe('controls (the same tokens, unaltered, are accepted)', () => {
      it('accepts a token signed by the server’s key with every rule kept', async () => {
        const reply = await system.knock(server(), `Bearer ${system.validToken(name)}`);
        expect(reply.status).toBe(200);
      });

      it('accepts typ application/at+jwt and a lowercase scheme', async () => {
        const reply = await system.knock(server(), `bearer ${system.validToken(name, {}, { typ: 'application/at+jwt' })}`);
        expect(reply.status).toBe(200);
      });

      it('accepts the real token meant for it', async () => {
        // The exchanged token is DPoP-bound (user-service's client must send a proof): it goes as
        // `Authorization: DPoP` with a proof of the key; the sign-in token stays a bearer token.
        const reply =
          name === 'user-service'
            ? await system.knock(server(), `Bearer ${base.alice.access_token}`)
            : await system.knockWithDpop(server(), base.aliceExchanged);
        expect(reply.status).toBe(200);
      });
    });

    it.each(TOKEN_ATTACKS.map((attack) => [`${attack.id} ${attack.title}`, attack] as const))('%s', async (id, attack) => {
      const token = attack.token(contextFor(name));
      expect(token).not.toBe('');
      const reply = record(id, await system.knock(server(), `Bearer ${token}`));
      expect(reply.status).toBe(401);
      expect(reply.json).toMatchObject({ error: 'invalid_token' });
      expect(reply.headers.get('www-authenticate')).toBe(
        challenge(`, error="invalid_token", error_description="${TOKEN_REFUSALS[attack.refusal]}"`),
      );
    });

    it.each(REQUEST_ATTACKS.map((attack) => [`${attack.id} ${attack.title}`, attack] as const))('%s', async (id, attack) => {
      const request = attack.request(contextFor(name), server());
      const reply = record(
        id,
        await send(`${server().baseUrl}${request.path ?? server().path}`, {
          method: request.method ?? 'GET',
          headers: request.headers ?? {},
          ...(request.body === undefined ? {} : { body: request.body }),
        }),
      );
      expect(reply.status).toBe(attack.expect.status);
      const header = reply.headers.get('www-authenticate');
      switch (attack.expect.kind) {
        case 'no-token':
          expect(reply.json).toMatchObject({ error: 'unauthorized' });
          // message-service takes DPoP-bound tokens: it offers DPoP too, with its algorithms (RFC 9449 §7.1).
          expect(header).toBe(name === 'message-service' ? `${challenge('')}, ${dpopChallenge()}` : challenge(''));
          break;
        case 'invalid-request':
          expect(reply.json).toMatchObject({ error: 'invalid_request' });
          expect(header).toBe(challenge(`, error="invalid_request", error_description="${attack.expect.description}"`));
          break;
        case 'insufficient-scope':
          expect(reply.json).toMatchObject({ error: 'insufficient_scope' });
          expect(header).toBe(challenge(`, error="insufficient_scope", scope="${server().scope}"`));
          break;
        case 'header-too-large':
          expect(header).toBeNull();
          expect(reply.text).toBe('');
          break;
      }
    });
  });

  describe('token-exchange grant', () => {
    it('control: exchanges a token signed by the server’s key, keeping sub and recording the actor', async () => {
      const reply = await system.exchange({ subject_token: system.validToken('user-service'), scope: 'message.read' });
      expect(reply.status).toBe(200);
      expect(claimsOf(String(reply.json?.['access_token']))).toMatchObject({
        sub: 'alice',
        aud: 'message-service',
        scope: 'message.read',
        act: { sub: 'user-service' },
      });
    });

    it('refuses an exchange as user-service without a DPoP proof (the demo client requires one)', async () => {
      const reply = await system.exchange({ subject_token: system.validToken('user-service'), scope: 'message.read' }, undefined, null);
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ error: 'invalid_dpop_proof' });
      expect(reply.json).not.toHaveProperty('access_token');
    });

    it('the exchanged token is bound to the proof key (cnf.jkt) and refused at message-service as a bearer token', async () => {
      const reply = await system.exchange({ subject_token: system.validToken('user-service'), scope: 'message.read' });
      expect(reply.status).toBe(200);
      expect(reply.json?.['token_type']).toBe('DPoP');
      const token = String(reply.json?.['access_token']);
      expect(claimsOf(token)['cnf']).toEqual({ jkt: system.dpopKey.thumbprint });
      const stolen = await system.knock(system.messageService, `Bearer ${token}`);
      expect(stolen.status).toBe(401);
      expect(stolen.json).toMatchObject({ error: 'invalid_token' });
      expect(stolen.headers.get('www-authenticate')).toMatch(/^DPoP realm="message-service", error="invalid_token"/);
    });

    it('never issues a token outliving its subject token', async () => {
      const exp = Math.floor(Date.now() / 1000) + 20;
      const reply = await system.exchange({ subject_token: system.validToken('user-service', { exp }) });
      expect(reply.status).toBe(200);
      expect(claimsOf(String(reply.json?.['access_token']))['exp']).toBeLessThanOrEqual(exp);
      expect(reply.json?.['expires_in']).toBeLessThanOrEqual(20);
    });

    it.each(TOKEN_ATTACKS.filter((attack) => attack.exchange !== false).map((attack) => [`${attack.id} ${attack.title}`, attack] as const))(
      '%s (as subject_token)',
      async (id, attack) => {
        const reply = record(`exchange ${id}`, await system.exchange({ subject_token: attack.token(contextFor('user-service')) }));
        expect(reply.status).toBe(400);
        expect(reply.json).toMatchObject({ error: 'invalid_request' });
        expect(reply.json).not.toHaveProperty('access_token');
        expect(reply.headers.get('www-authenticate')).toBeNull();
      },
    );

    it.each(EXCHANGE_ATTACKS.map((attack) => [`${attack.id} ${attack.title}`, attack] as const))('%s', async (id, attack) => {
      const request = attack.request(contextFor('user-service'));
      const authorization = request.authorization === undefined ? basic('user-service', 'secret') : request.authorization;
      const reply = record(
        id,
        await send(system.tokenEndpoint, { form: request.form, headers: authorization === null ? {} : { authorization } }),
      );
      expect(reply.status).toBe(attack.expect.status);
      expect(reply.json).toMatchObject({ error: attack.expect.error });
      expect(reply.json).not.toHaveProperty('access_token');
      const header = reply.headers.get('www-authenticate');
      if (attack.expect.challenge) expect(header).toMatch(/^Basic realm="[^"]+", error="invalid_client"/);
      else expect(header).toBeNull();
    });
  });

  describe('across every reply', () => {
    it('never fetched keys from where a token pointed (jku, x5u)', () => {
      expect(replies.length).toBeGreaterThan(0);
      expect(attacker.hits).toBe(0);
    });

    it('answered no attack with a 5xx, and let no injected header through', () => {
      expect(replies.filter(({ reply }) => reply.status >= 500).map(({ id }) => id)).toEqual([]);
      expect(replies.filter(({ reply }) => reply.headers.has('x-injected')).map(({ id }) => id)).toEqual([]);
      // Request ids are answered back: only ones safe in a header and a log line are taken over.
      const unsafeIds = replies.filter(({ reply }) => {
        const requestId = reply.headers.get('x-request-id');
        return requestId !== null && !/^[A-Za-z0-9._:@+=/-]{1,128}$/.test(requestId);
      });
      expect(unsafeIds.map(({ id }) => id)).toEqual([]);
    });

    it('wrote no attacker input unescaped into a log line, and never a token', async () => {
      // Let the last log lines of the processes arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const { app, text } of system.logs()) {
        const lines = text.split('\n');
        expect({ app, injected: lines.filter((line) => line.startsWith('X-Injected')) }).toEqual({ app, injected: [] });
        expect({ app, escapes: text.includes('\u001b[2J') }).toEqual({ app, escapes: false });
        expect({ app, token: text.includes(base.alice.access_token) || text.includes(base.aliceExchanged) }).toEqual({ app, token: false });
      }
    });
  });

  it('has every attack listed in docs/security.md', () => {
    const doc = readFileSync(join(workspaceRoot(), 'docs', 'security.md'), 'utf8');
    const ids = [...TOKEN_ATTACKS, ...REQUEST_ATTACKS, ...EXCHANGE_ATTACKS].map((attack) => attack.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !doc.includes(`| ${id} |`))).toEqual([]);
  });
});
