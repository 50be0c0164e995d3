import { ResourceServerExceptionFilter } from '../filters/resource-server-exception.filter';
import { startTestIssuer, TestIssuer } from '../testing/test-issuer';
import { RunningTestApp, startTestApp } from '../../test-support/test-app';

const AUDIENCE = 'adopter-service';

async function get(url: string, token?: string): Promise<{ status: number; body: unknown; challenge: string | null }> {
  const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json(), challenge: response.headers.get('www-authenticate') };
}

describe('guards are offered, not installed', () => {
  let issuer: TestIssuer;
  const running: RunningTestApp[] = [];

  beforeAll(async () => {
    issuer = await startTestIssuer({ audience: AUDIENCE });
  });

  afterAll(async () => {
    await Promise.all(running.map((app) => app.close()));
    await issuer.stop();
  });

  const start = async (filter: 'nest' | 'package'): Promise<RunningTestApp> => {
    const app = await startTestApp({ issuer: issuer.issuer, audience: AUDIENCE }, { guards: 'per-controller', filter });
    running.push(app);
    return app;
  };

  it('leaves a route of the host app open when the module is imported and no guard registered globally', async () => {
    const app = await start('nest');
    expect(await get(`${app.url}/unguarded`)).toEqual({ status: 200, body: { principal: false }, challenge: null });
  });

  it('protects a controller that asks with @UseGuards(AccessTokenGuard, ScopesGuard): 401 with the RFC 6750 challenge', async () => {
    const app = await start('nest');
    const answer = await get(`${app.url}/guarded`);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe(`Bearer realm="${AUDIENCE}"`);
    expect(answer.body).toEqual({ error: 'unauthorized', message: 'An access token is required' });
    expect(await get(`${app.url}/guarded`, await issuer.forgeToken({ sub: 'dana', scope: 'message.read' }))).toEqual({
      status: 200,
      body: { sub: 'dana' },
      challenge: null,
    });
    const unscoped = await get(`${app.url}/guarded`, await issuer.forgeToken({ scope: 'other' }));
    expect(unscoped.status).toBe(403);
    expect(unscoped.challenge).toBe(`Bearer realm="${AUDIENCE}", error="insufficient_scope", scope="message.read"`);
  });

  it('answers the same with the package filter (ResourceServerExceptionFilter) registered', async () => {
    const app = await start('package');
    const answer = await get(`${app.url}/guarded`, await issuer.forgeToken({ aud: 'someone-else', scope: 'message.read' }));
    expect(answer).toEqual({
      status: 401,
      body: { error: 'invalid_token', message: 'The access token is not meant for this service' },
      challenge: `Bearer realm="${AUDIENCE}", error="invalid_token", error_description="The access token is not meant for this service"`,
    });
    expect(ResourceServerExceptionFilter).toBeDefined();
  });
});
