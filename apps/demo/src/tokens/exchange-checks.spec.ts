import { DecodedToken } from './decoded-token';
import { checkExchangedToken } from './exchange-checks';

function token(claims: DecodedToken['claims'], typ = 'at+jwt'): DecodedToken {
  return { header: { alg: 'ES256', typ }, claims, fingerprint: 'sha256:000000000000' };
}

const subject = token({
  iss: 'http://localhost:9001',
  sub: 'alice',
  aud: 'user-service',
  client_id: 'demo-app',
  scope: 'user.read message.read message.write',
  iat: 1_000,
  exp: 1_300,
  jti: 'subject-jti',
});

const good = {
  iss: 'http://localhost:9001',
  sub: 'alice',
  aud: 'message-service',
  client_id: 'user-service',
  scope: 'message.read',
  act: { sub: 'user-service' },
  iat: 1_010,
  exp: 1_300,
  jti: 'exchanged-jti',
};

const expectations = { audience: 'message-service', actor: 'user-service' };

function failed(exchanged: DecodedToken): string[] {
  return checkExchangedToken(subject, exchanged, expectations)
    .filter((check) => !check.ok)
    .map((check) => check.label);
}

describe('checkExchangedToken', () => {
  it('passes a token exchanged by the rules', () => {
    expect(failed(token(good))).toEqual([]);
  });

  it.each([
    ['another subject', { sub: 'bob' }, /same sub: bob/],
    ['another issuer', { iss: 'http://evil.example' }, /same issuer/],
    ['the old audience', { aud: 'user-service' }, /^aud user-service/],
    ['a scope the subject token lacks', { scope: 'message.read admin' }, /admin was added/],
    ['the same scope (not narrower)', { scope: 'user.read message.read message.write' }, /narrower scope/],
    ['no scope', { scope: undefined }, /narrower scope/],
    ['no act', { act: undefined }, /act names the actor: null/],
    ['another actor', { act: { sub: 'billing' } }, /act names the actor/],
    ['the subject client as client_id', { client_id: 'demo-app' }, /client_id demo-app/],
    ['a later exp', { exp: 1_301 }, /exp not later: 1301 <= 1300/],
    ['the subject jti', { jti: 'subject-jti' }, /a new token/],
  ])('fails a token with %s', (_case, change, label) => {
    const labels = failed(token({ ...good, ...change }));
    expect(labels).toHaveLength(1);
    expect(labels[0]).toMatch(label);
  });

  it('fails a token that is not an at+jwt', () => {
    expect(failed(token(good, 'JWT'))).toEqual(['typ is at+jwt (an RFC 9068 access token), got JWT']);
  });
});
