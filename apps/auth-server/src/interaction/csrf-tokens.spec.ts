import type { IncomingMessage } from 'node:http';
import { CookieSecretsService } from '../keys/cookie-secrets.service';
import { CsrfTokens, isSameOriginPost } from './csrf-tokens';

const secrets = (...values: string[]) => ({ secrets: values }) as unknown as CookieSecretsService;
const post = (headers: Record<string, string>) => ({ headers: { host: 'auth.example:9001', ...headers } }) as unknown as IncomingMessage;

describe('CsrfTokens', () => {
  const current = 'c'.repeat(32);
  const previous = 'p'.repeat(32);

  it('binds a token to its interaction and to the server’s secret', () => {
    const tokens = new CsrfTokens(secrets(current));
    const token = tokens.tokenFor('uid-1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.verify('uid-1', token)).toBe(true);
    expect(tokens.verify('uid-2', token)).toBe(false);
    expect(tokens.verify('uid-1', '')).toBe(false);
    expect(tokens.verify('uid-1', `${token}x`)).toBe(false);
    expect(new CsrfTokens(secrets('o'.repeat(32))).verify('uid-1', token)).toBe(false);
  });

  it('accepts tokens of a previous cookie secret during a secret rotation', () => {
    const token = new CsrfTokens(secrets(previous)).tokenFor('uid-1');
    expect(new CsrfTokens(secrets(current, previous)).verify('uid-1', token)).toBe(true);
  });
});

describe('isSameOriginPost', () => {
  const issuer = 'http://auth.example:9001';
  it.each<[string, Record<string, string>, boolean]>([
    ['no Origin, no Sec-Fetch-Site (a non-browser client)', {}, true],
    ['its own origin', { origin: 'http://auth.example:9001', 'sec-fetch-site': 'same-origin' }, true],
    ['the issuer’s host behind another Host header', { origin: 'http://auth.example:9001', host: 'internal:9001' }, true],
    ['another site', { origin: 'https://attacker.example' }, false],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, false],
    ['Sec-Fetch-Site same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }, false],
    ['Origin null from its own no-referrer page (Chromium), left to the token', { origin: 'null', 'sec-fetch-site': 'same-origin' }, true],
    ['Origin null from another site', { origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
  ])('%s', (_case, headers, expected) => {
    expect(isSameOriginPost(post(headers), issuer)).toBe(expected);
  });
});
