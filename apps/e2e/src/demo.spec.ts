import { freePort, workspaceRoot } from '@baton/testing';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonSystem } from './support/baton-system';
import { BlackHole } from './support/black-hole';
import { NodeScript, ScriptResult } from './support/node-script';
import { isListening } from './support/ports';

/** The built demo (`npm run demo` runs it after building the four apps). */
const DEMO = join(workspaceRoot(), 'dist', 'apps', 'demo', 'main.js');
const A_RAW_JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

function expectAllStepsPassed(result: ScriptResult): void {
  expect(result.stderr).toBe('');
  for (const step of [1, 2, 3, 4]) expect(result.stdout).toContain(`Step ${step} · `);
  expect(result.stdout).toMatch(/✓ All 4 steps behaved as expected \(\d+ checks, [\d.]+ s\)\./);
  expect(result.stdout).not.toContain('✗');
  // Tokens are named by a hash prefix, never printed.
  expect(result.stdout).not.toMatch(A_RAW_JWT);
  expect(result.code).toBe(0);
}

describe('npm run demo against running services', () => {
  let system: BatonSystem;
  let env: Record<string, string>;

  beforeAll(async () => {
    system = await BatonSystem.start();
    env = {
      AUTH_SERVER_URL: system.auth.issuer,
      USER_SERVICE_URL: system.userServiceUrl,
      MESSAGE_SERVICE_URL: system.messageServiceUrl,
      DEMO_START_SERVICES: 'false',
    };
  });

  afterAll(() => system?.stop());

  it('walks through the four steps, prints what it checks, and exits 0', async () => {
    const result = await NodeScript.run(DEMO, env);
    expectAllStepsPassed(result);
    expect(result.stdout.match(/already running/g)).toHaveLength(3);
    expect(result.stdout).toContain('← 200 subject=alice actor=user-service');
    // Step 3 shows the two tokens side by side and checks the exchange rules.
    expect(result.stdout).toMatch(/aud\s+user-service\s+message-service/);
    expect(result.stdout).toMatch(/act\s+—\s+\{"sub":"user-service"\}/);
    expect(result.stdout).toContain('✓ narrower scope: "message.read" within "user.read message.read message.write"');
    // Step 3, DPoP (issue 16): the exchanged token is bound to the demo's key, and its own call with a proof is accepted.
    const jkt = /cnf\s+—\s+\{"jkt":"([\w-]{43})"\}/.exec(result.stdout)?.[1];
    expect(jkt).toBeDefined();
    expect(result.stdout).toContain('← 200 token_type=DPoP issued_token_type=urn:ietf:params:oauth:token-type:access_token scope=message.read');
    expect(result.stdout).toContain(`✓ bound to the exchanging key (RFC 9449): token_type DPoP, cnf.jkt ${jkt} is the thumbprint`);
    expect(result.stdout).toMatch(/→ GET \S+\/api\/messages {2}Authorization: DPoP <sha256:[0-9a-f]{12}> {2}DPoP: <a fresh proof/);
    expect(result.stdout).toContain('✓ message-service accepts the exchanged token with a proof of its key');
    // Step 4: the refusal and its reason.
    expect(result.stdout).toContain('error="invalid_token"');
    expect(result.stdout).toContain('✓ message-service refuses it: 401 invalid_token');
    // Step 4, DPoP: the copied token replayed as Bearer, then with the copied proof, each refused with its challenge.
    expect(result.stdout).toMatch(
      /← 401 WWW-Authenticate: DPoP realm="message-service", error="invalid_token", error_description="The access token is bound to a DPoP key and must be sent with the DPoP scheme and a proof", algs="ES256 EdDSA[^"]*"/,
    );
    expect(result.stdout).toContain('✓ the copied token replayed as Bearer is refused: 401 DPoP error="invalid_token"');
    expect(result.stdout).toMatch(
      /← 401 WWW-Authenticate: DPoP realm="message-service", error="invalid_dpop_proof", error_description="The DPoP proof has been used before"/,
    );
    expect(result.stdout).toContain('✓ and with the proof copied too, replayed: 401 DPoP error="invalid_dpop_proof"');
  });

  it('exits 1 with a clear message when a step does not behave as expected', async () => {
    const result = await NodeScript.run(DEMO, { ...env, DEMO_PASSWORD: 'not-alices-password' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✓ user-service answered with message-service');
    expect(result.stdout).toMatch(/✗ alice could log in: login failed .*: Invalid username or password/);
    expect(result.stdout).toMatch(/✗ Demo failed\. Step 2: alice could log in/);
    expect(result.stdout).not.toContain('Step 3 · ');
    // The services were already running: the demo left them alone.
    for (const url of [system.auth.issuer, system.userServiceUrl, system.messageServiceUrl]) {
      expect((await fetch(`${url}/health`)).status).toBe(200);
    }
  });
});

describe('npm run demo with no services running', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'baton-e2e-demo-'));
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function localUrls(): Promise<{ env: Record<string, string>; ports: number[] }> {
    const ports = [await freePort(), await freePort(), await freePort()];
    const [auth, user, message] = ports.map((port) => `http://127.0.0.1:${port}`);
    return {
      ports,
      env: { AUTH_SERVER_URL: auth as string, USER_SERVICE_URL: user as string, MESSAGE_SERVICE_URL: message as string, DEMO_DATA_DIR: dataDir },
    };
  }

  it('starts the three services itself, walks through, and stops them again', async () => {
    const { env, ports } = await localUrls();
    const result = await NodeScript.run(DEMO, env);
    expectAllStepsPassed(result);
    expect(result.stdout.match(/started by the demo/g)).toHaveLength(3);
    expect(existsSync(join(dataDir, 'auth-server'))).toBe(true);
    expect(existsSync(join(dataDir, 'message-service', 'messages.sqlite'))).toBe(true);
    for (const port of ports) expect(await isListening(port)).toBe(false);
  });

  it('stops every service it started, even one still starting, when interrupted', async () => {
    const { env, ports } = await localUrls();
    const demo = new NodeScript(DEMO, env);
    // The auth server is up, the other two are on their way.
    await demo.waitFor(/starting user-service on port/);
    demo.child.kill('SIGINT');
    const result = await demo.finished;
    expect(result.stdout).toMatch(/Interrupted: stopping the services the demo started \.\.\.\nStopped\.\n$/);
    expect(result.code).toBe(130);
    for (const port of ports) expect(await isListening(port)).toBe(false);
  });

  it('refuses to go on when told not to start services, naming what is missing', async () => {
    const { env } = await localUrls();
    const result = await NodeScript.run(DEMO, { ...env, DEMO_START_SERVICES: 'false' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `✗ Demo failed. Before the walkthrough: not running: auth-server at ${env['AUTH_SERVER_URL']}, message-service at ${env['MESSAGE_SERVICE_URL']}, user-service at ${env['USER_SERVICE_URL']}.`,
    );
  });

  it("names the service whose port is taken by another program, and stops what it had started", async () => {
    const { env, ports } = await localUrls();
    const [authPort, userPort, messagePort] = ports as [number, number, number];
    const squatter = await BlackHole.listen(userPort);
    try {
      const result = await NodeScript.run(DEMO, env);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        `✗ Demo failed. Before the walkthrough: user-service could not start: port ${userPort} is already in use by a program that does not answer GET ${env['USER_SERVICE_URL']}/health like user-service.`,
      );
      expect(await isListening(authPort)).toBe(false);
      expect(await isListening(messagePort)).toBe(false);
    } finally {
      await squatter.close();
    }
  });
});
