import { startTestApp } from '../../test-support/test-app';
import { decodePayload } from './token-forge';
import { startTestIssuer } from './test-issuer';

describe('startTestIssuer (@baton/resource-server/testing)', () => {
  it.each([['ES256'], ['EdDSA']] as const)('serves discovery and a JWKS that a resource server trusts (%s)', async (algorithm) => {
    const issuer = await startTestIssuer({ audience: 'adopter-service', algorithm });
    const app = await startTestApp({ issuer: issuer.issuer, audience: 'adopter-service', algorithms: [algorithm] });
    try {
      const token = await issuer.forgeToken({ sub: 'erin', scope: 'message.read', act: { sub: 'user-service' } });
      const response = await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ sub: 'erin', clientId: 'test-client', scopes: ['message.read'], act: { sub: 'user-service' } });
      expect(issuer.server.requests).toEqual(['/.well-known/oauth-authorization-server', '/oauth2/jwks']);
    } finally {
      await app.close();
      await issuer.stop();
    }
  });

  it('forges tokens with working defaults, any claim overridable', async () => {
    const issuer = await startTestIssuer({ audience: 'adopter-service' });
    try {
      const now = Math.floor(Date.now() / 1000);
      const claims = decodePayload(await issuer.forgeToken());
      expect(claims).toMatchObject({ iss: issuer.issuer, aud: 'adopter-service', sub: 'alice', client_id: 'test-client' });
      expect(claims['scope']).toBeUndefined();
      expect(claims['exp']).toBeGreaterThan(now);
      expect(decodePayload(await issuer.forgeToken({ exp: now - 60, aud: ['a', 'b'] }))).toMatchObject({ exp: now - 60, aud: ['a', 'b'] });
    } finally {
      await issuer.stop();
    }
  });
});
