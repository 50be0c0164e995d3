import { CookieJar } from './cookie-jar';

function responseSetting(...cookies: string[]): Response {
  const headers = new Headers();
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { headers });
}

describe('CookieJar', () => {
  it('sends cookies to their path and below, longest path first', () => {
    const jar = new CookieJar();
    jar.store(responseSetting('_session=s; path=/; httponly', '_interaction=i; path=/interaction/abc; samesite=lax'));
    expect(jar.header('http://127.0.0.1/interaction/abc')).toBe('_interaction=i; _session=s');
    expect(jar.header('http://127.0.0.1/interaction/abc/login')).toBe('_interaction=i; _session=s');
    expect(jar.header('http://127.0.0.1/interaction/abcd')).toBe('_session=s');
    expect(jar.header('http://127.0.0.1/oauth2/token')).toBe('_session=s');
  });

  it('replaces a cookie of the same name and path, and drops expired ones', () => {
    const jar = new CookieJar();
    jar.store(responseSetting('a=1; path=/', 'b=2; path=/'));
    jar.store(responseSetting('a=3; path=/', `b=; path=/; expires=${new Date(0).toUTCString()}`));
    expect(jar.header('http://127.0.0.1/')).toBe('a=3');
    jar.store(responseSetting('a=gone; path=/; max-age=0'));
    expect(jar.header('http://127.0.0.1/')).toBeUndefined();
  });
});
