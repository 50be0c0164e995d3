import { startAuthServer, type AuthServerHarness } from '@baton/testing';

jest.setTimeout(60_000);

/**
 * Behind a load balancer every request comes from the balancer's address: without
 * AUTH_SERVER_TRUST_PROXY the per-address limits would be one limit for all clients. With it, the
 * address is the last X-Forwarded-For entry (the one the balancer added); without it, the header
 * is ignored, so a client cannot pick an address to escape its limit.
 */
describe('AUTH_SERVER_TRUST_PROXY: the client address of the per-address limits', () => {
  const limits = { AUTH_SERVER_CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: '2' };
  let trusting: AuthServerHarness;
  let direct: AuthServerHarness;

  beforeAll(async () => {
    [trusting, direct] = await Promise.all([
      startAuthServer({ env: { ...limits, AUTH_SERVER_TRUST_PROXY: 'true' } }),
      startAuthServer({ env: limits }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([trusting?.stop(), direct?.stop()]);
  });

  /** A client_credentials request with a wrong secret, as forwarded for `forwardedFor`. */
  const wrongSecret = (server: AuthServerHarness, forwardedFor: string) =>
    fetch(`${server.issuer}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('user-service:wrong').toString('base64')}`,
        'x-forwarded-for': forwardedFor,
      },
      body: 'grant_type=client_credentials',
    });

  it('behind a trusted balancer, counts each forwarded client separately (the entry the balancer added)', async () => {
    expect((await wrongSecret(trusting, '203.0.113.7')).status).toBe(401);
    expect((await wrongSecret(trusting, '203.0.113.7')).status).toBe(401);
    const third = await wrongSecret(trusting, '203.0.113.7');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await third.json()) as { error: string }).error).toBe('temporarily_unavailable');
    // Another client behind the same balancer still has its own two attempts.
    expect((await wrongSecret(trusting, '203.0.113.8')).status).toBe(401);
    // Entries left of the balancer's are whatever the client sent: they do not make a new address.
    expect((await wrongSecret(trusting, '198.51.100.1, 203.0.113.7')).status).toBe(429);
  });

  it('without it, ignores X-Forwarded-For: a client cannot choose its address to escape the limit', async () => {
    expect((await wrongSecret(direct, '203.0.113.1')).status).toBe(401);
    expect((await wrongSecret(direct, '203.0.113.2')).status).toBe(401);
    const third = await wrongSecret(direct, '203.0.113.3');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
