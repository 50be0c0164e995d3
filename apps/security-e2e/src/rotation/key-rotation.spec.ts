import { workspaceRoot } from '@baton/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { basic, claimsOf, send } from '../support/http';
import { SecuritySystem } from '../support/security-system';

const run = promisify(execFile);
const ACTIVATION_DELAY_SECONDS = 2;
const WORKERS = 8;

interface Outcome {
  readonly step: string;
  readonly status: number;
  /** kid of the token the step used (the one it was given or obtained). */
  readonly kid: string | undefined;
  readonly at: number;
}

const kidOf = (token: string): string | undefined => {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: string }).kid;
  } catch {
    return undefined;
  }
};

/**
 * Rotates the signing key of a running auth server (`rotate-keys`, the command operators use)
 * while clients keep obtaining, exchanging and using tokens, and checks that not one request fails:
 * tokens signed by the old key stay valid, new ones carry the new kid, and both resource servers
 * learn the new key from the JWKS without a restart.
 */
describe('key rotation under load', () => {
  let system: SecuritySystem;

  beforeAll(async () => {
    const resourceServerEnv = { AUTH_JWKS_REFETCH_INTERVAL_SECONDS: '1' };
    system = await SecuritySystem.start({
      generatedKeys: true,
      // Eight workers ask for tokens as fast as they can: the per-client rate limit is not under test here.
      authServerEnv: { AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '0' },
      userServiceEnv: resourceServerEnv,
      messageServiceEnv: resourceServerEnv,
    });
  });

  afterAll(() => system?.stop());

  const jwksKids = async (): Promise<string[]> => {
    const reply = await send(`${system.auth.issuer}/oauth2/jwks`);
    return ((reply.json?.['keys'] ?? []) as { kid: string }[]).map((key) => key.kid);
  };

  const clientCredentials = async (resource: string): Promise<string> => {
    const reply = await send(system.tokenEndpoint, {
      headers: { authorization: basic('user-service', 'secret') },
      form: { grant_type: 'client_credentials', resource },
    });
    if (reply.status !== 200) throw new Error(`client_credentials ${reply.status} ${reply.text}`);
    return String(reply.json?.['access_token']);
  };

  it('rotates while tokens are issued, exchanged and used, and no request fails', async () => {
    const alice = await system.login('alice');
    const [oldKid] = await jwksKids();
    expect(kidOf(alice.access_token)).toBe(oldKid);

    const outcomes: Outcome[] = [];
    const note = (step: string, status: number, token: string | undefined): void => {
      outcomes.push({ step, status, kid: token === undefined ? undefined : kidOf(token), at: Date.now() });
    };
    let stop = false;
    const steps: (() => Promise<void>)[] = [
      // alice's token, signed by the old key, through the whole chain (user-service exchanges it).
      async () => note('alice via user-service', (await system.knock(system.userService, `Bearer ${alice.access_token}`, '/api/users/messages')).status, alice.access_token),
      // A token issued now, verified by user-service.
      async () => {
        const token = await clientCredentials('user-service');
        note('new token at user-service', (await system.knock(system.userService, `Bearer ${token}`)).status, token);
      },
      // A token issued now, verified by message-service. user-service's own (client_credentials)
      // tokens are for user-service only (issue 11, H07): it gets one for message-service by exchange.
      async () => {
        // The exchange carries a DPoP proof (the demo's user-service client must send one), so the
        // token is bound and goes to message-service as `DPoP` with a proof naming it (ath).
        const exchanged = await system.exchange({ subject_token: await clientCredentials('user-service') });
        const token = String(exchanged.json?.['access_token']);
        note('new token at message-service', (await system.knockWithDpop(system.messageService, token, '/api/messages')).status, token);
      },
      // A token issued now, exchanged by the auth server, the result used at message-service.
      async () => {
        const subject = await clientCredentials('user-service');
        const exchanged = await system.exchange({ subject_token: subject });
        note('exchange', exchanged.status, subject);
        const token = String(exchanged.json?.['access_token']);
        note('exchanged token at message-service', (await system.knockWithDpop(system.messageService, token, '/api/messages')).status, token);
      },
      // A new subject through user-service: a cache miss, so user-service exchanges it right now.
      async () => {
        const token = await clientCredentials('user-service');
        note('new token through the chain', (await system.knock(system.userService, `Bearer ${token}`, '/api/users/messages')).status, token);
      },
    ];
    const worker = async (offset: number): Promise<void> => {
      for (let index = offset; !stop; index += 1) {
        const step = steps[index % steps.length] as () => Promise<void>;
        try {
          await step();
        } catch (error) {
          note(`thrown: ${(error as Error).message}`, 0, undefined);
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, offset) => worker(offset)));

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rotation = await run(process.execPath, [join(workspaceRoot(), 'dist', 'apps', 'auth-server', 'rotate-keys.js'), `--activation-delay=${ACTIVATION_DELAY_SECONDS}`], {
      cwd: workspaceRoot(),
      env: {
        PATH: process.env['PATH'] ?? '',
        LOG_LEVEL: 'silent',
        AUTH_SERVER_DATA_DIR: system.auth.dataDir,
        AUTH_SERVER_CONFIG_FILE: join(workspaceRoot(), 'apps', 'auth-server', 'config', 'demo.yaml'),
      },
    });
    const rotatedAt = Date.now();
    expect(rotation.stdout).toContain('rotated the signing keys');
    const newKid = /new ES256 key (\S+):/.exec(rotation.stdout)?.[1];
    expect(newKid).toBeDefined();

    // Published at once (within the server's one-second check), before it signs anything.
    let published: string[] = [];
    for (let attempt = 0; attempt < 30 && !published.includes(newKid as string); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      published = await jwksKids();
    }
    expect(published).toEqual([oldKid, newKid]);

    await new Promise((resolve) => setTimeout(resolve, (ACTIVATION_DELAY_SECONDS + 3) * 1000));
    stop = true;
    await load;

    expect(outcomes.length).toBeGreaterThan(100);
    const failures = outcomes.filter((outcome) => outcome.status !== 200 && outcome.status !== 201);
    expect(failures).toEqual([]);
    // Both keys were really in use during the run: old-key tokens before, new-key tokens after.
    const issued = outcomes.filter((outcome) => outcome.step.startsWith('new token') || outcome.step === 'exchanged token at message-service');
    expect(issued.filter((outcome) => outcome.at < rotatedAt).every((outcome) => outcome.kid === oldKid)).toBe(true);
    for (const step of ['new token at user-service', 'new token at message-service', 'exchanged token at message-service', 'new token through the chain']) {
      expect({ step, newKeyUsed: outcomes.some((outcome) => outcome.step === step && outcome.kid === newKid) }).toEqual({ step, newKeyUsed: true });
    }
    expect(outcomes.filter((outcome) => outcome.step === 'alice via user-service').length).toBeGreaterThan(5);

    // The old key still verifies what it signed, and the JWKS serves both, the signing key first.
    expect(await jwksKids()).toEqual([newKid, oldKid]);
    expect((await system.knock(system.userService, `Bearer ${alice.access_token}`)).status).toBe(200);
    expect(claimsOf(await clientCredentials('user-service'))).toMatchObject({ aud: 'user-service' });
    expect(kidOf(await clientCredentials('user-service'))).toBe(newKid);
    expect(system.auth.process.logs).toContain('signing_keys_changed');
  });
});
