import { AuthServerReplicas, startAuthServerReplicas, TestPostgres } from '@baton/testing';
import { testDpopKey } from '@baton/oidc-provider-token-exchange/testing';
import { tokenEndpointProof } from '../../test/support/dpop-proof';
import { exchangeForMessageService, FormReply, postForm } from './test-support/oidc-state.browser';

jest.setTimeout(180_000);

const USER_SERVICE_BASIC = `Basic ${Buffer.from('user-service:secret').toString('base64')}`;

/**
 * DPoP state shared by two real auth-server processes on one PostgreSQL database (replicated
 * mode, nonces required): a proof's jti recorded at one replica is refused at the other, and a
 * nonce one replica hands out is good at the other (both derive the nonce secret from the cookie
 * secrets they share in the database). The requests go straight to each replica.
 */
describe('DPoP across two auth-server replicas on PostgreSQL (process)', () => {
  let postgres: TestPostgres;
  let auth: AuthServerReplicas;

  beforeAll(async () => {
    postgres = await TestPostgres.start();
    auth = await startAuthServerReplicas({ databaseUrl: await postgres.createDatabase(), env: { AUTH_SERVER_DPOP_REQUIRE_NONCE: 'true' } });
  });

  afterAll(async () => {
    await auth?.stop();
    await postgres?.stop();
  });

  const replica = (index: number): string => auth.replicas[index]?.issuer as string;
  /** user-service's own token for user-service (no proof: a bearer subject token), from replica `index`. */
  const subjectFrom = async (index: number): Promise<string> => {
    const issued = await postForm(replica(index), '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE_BASIC);
    expect(issued.status).toBe(200);
    return String(issued.body['access_token']);
  };
  /** A nonce handed out by replica `index` (the answer to a proof without one). */
  const nonceFrom = async (index: number): Promise<string> => {
    const asked: FormReply = await exchangeForMessageService(replica(index), await subjectFrom(index), await tokenEndpointProof(replica(index)));
    expect([asked.status, asked.body['error']]).toEqual([400, 'use_dpop_nonce']);
    return String(asked.headers.get('dpop-nonce'));
  };

  it('accepts at replica B a nonce replica A handed out, and the other way round', async () => {
    for (const [from, at] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const nonce = await nonceFrom(from);
      const exchanged = await exchangeForMessageService(replica(at), await subjectFrom(at), await tokenEndpointProof(replica(at), { nonce }));
      expect(exchanged.status).toBe(200);
      expect(exchanged.body['token_type']).toBe('DPoP');
    }
  });

  it('refuses at replica B a proof already used at replica A: 400 invalid_dpop_proof (the jti is recorded in PostgreSQL)', async () => {
    const nonce = await nonceFrom(0);
    const proof = await tokenEndpointProof(replica(0), { nonce });
    const first = await exchangeForMessageService(replica(0), await subjectFrom(0), proof);
    expect(first.status).toBe(200);

    const replayed = await exchangeForMessageService(replica(1), await subjectFrom(1), proof);
    expect([replayed.status, replayed.body]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'DPoP proof JWT replay detected' }]);
    expect(replayed.body).not.toHaveProperty('access_token');
  });

  it('lets exactly one of two replicas use a proof sent to both at the same instant', async () => {
    for (let round = 0; round < 5; round += 1) {
      const nonce = await nonceFrom(round % 2);
      const [subjectA, subjectB] = await Promise.all([subjectFrom(0), subjectFrom(1)]);
      const proof = await tokenEndpointProof(replica(0), { nonce });
      const answers = await Promise.all([exchangeForMessageService(replica(0), subjectA, proof), exchangeForMessageService(replica(1), subjectB, proof)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expect(answers.find((answer) => answer.status === 400)?.body['error']).toBe('invalid_dpop_proof');
    }
  });

  it("refuses at replica B a jti used on replica A's client_credentials grant (one replay record for the token endpoint)", async () => {
    const key = testDpopKey();
    const nonce = await nonceFrom(0);
    const jti = `shared-${Date.now()}`;
    const bound = await postForm(replica(0), '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE_BASIC, {
      dpop: await tokenEndpointProof(replica(0), { key, nonce, jti }),
    });
    expect([bound.status, bound.body['token_type']]).toEqual([200, 'DPoP']);

    const replayed = await exchangeForMessageService(replica(1), await subjectFrom(1), await tokenEndpointProof(replica(1), { key, nonce, jti }));
    expect([replayed.status, replayed.body['error']]).toEqual([400, 'invalid_dpop_proof']);
  });
});
