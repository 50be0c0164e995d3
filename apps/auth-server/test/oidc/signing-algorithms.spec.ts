import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { AuthorizationServerMetadata, JsonWebKeySet } from '@baton/dto';
import { jwtHeader, postToken, startInProcess } from '../support/in-process-auth-server';

const USER_SERVICE = { id: 'user-service', secret: 'secret' };

async function jwks(baseUrl: string): Promise<JsonWebKeySet> {
  return (await (await fetch(`${baseUrl}/oauth2/jwks`)).json()) as JsonWebKeySet;
}

describe('signing algorithm (AUTH_SERVER_SIGNING_ALG) and key rotation', () => {
  it.each(['RS256', 'PS256', 'ES384', 'EdDSA'])('signs access and ID tokens with %s when configured', async (alg) => {
    const server = await startInProcess({ AUTH_SERVER_SIGNING_ALG: alg });
    try {
      const { body } = await postToken(server.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE);
      const token = body['access_token'] as string;
      expect(jwtHeader(token)).toMatchObject({ alg, typ: 'at+jwt' });
      await expect(
        jwtVerify(token, createLocalJWKSet(await jwks(server.baseUrl)), { issuer: server.baseUrl, audience: 'user-service', algorithms: [alg] }),
      ).resolves.toBeDefined();
      const metadata = (await (await fetch(`${server.baseUrl}/.well-known/openid-configuration`)).json()) as AuthorizationServerMetadata;
      expect(metadata.id_token_signing_alg_values_supported).toEqual([alg]);
    } finally {
      await server.close();
    }
  });

  it('after a change of algorithm the new key signs and tokens signed before still verify', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rotation-'));
    const before = await startInProcess({ AUTH_SERVER_DATA_DIR: dataDir, AUTH_SERVER_SIGNING_ALG: 'ES256' });
    const old = (await postToken(before.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE)).body['access_token'] as string;
    await before.close();

    const after = await startInProcess({ AUTH_SERVER_DATA_DIR: dataDir, AUTH_SERVER_SIGNING_ALG: 'EdDSA' });
    try {
      const keys = await jwks(after.baseUrl);
      expect(keys.keys.map((key) => key.alg)).toEqual(['EdDSA', 'ES256']);
      const fresh = (await postToken(after.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE)).body['access_token'] as string;
      expect(jwtHeader(fresh)).toMatchObject({ alg: 'EdDSA', kid: keys.keys[0]?.kid });
      // The issuer changed with the port here; the point is the signature by a still-published key.
      await expect(jwtVerify(old, createLocalJWKSet(keys), { audience: 'user-service' })).resolves.toBeDefined();
    } finally {
      await after.close();
    }
  });
});
