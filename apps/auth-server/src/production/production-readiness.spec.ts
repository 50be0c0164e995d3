import { loadConfig } from '@baton/config';
import { join } from 'node:path';
import { authServerConfig } from '../config/auth-server.config';
import { loadDeclarativeConfig } from '../declarative-config/load-declarative-config';
import { productionProblems } from './production-readiness';

const DEMO_FILE = join(__dirname, '..', '..', 'config', 'demo.yaml');
const demo = loadDeclarativeConfig(DEMO_FILE);
const config = (env: Record<string, string>) => loadConfig(authServerConfig.schema, { LOG_LEVEL: 'silent', AUTH_SERVER_CONFIG_FILE: DEMO_FILE, ...env });
const provisioned = {
  NODE_ENV: 'production',
  AUTH_SERVER_ISSUER: 'https://auth.example',
  AUTH_SERVER_KEYS_FILE: '/etc/baton/keys.json',
  AUTH_SERVER_COOKIE_SECRETS: 'x'.repeat(40),
  METRICS_TOKEN: 'y'.repeat(40),
};
const ownFile = { ...demo, clients: demo.clients.map((client) => ({ ...client, secret: client.secret === undefined ? undefined : 'a-real-secret-of-some-length' })), users: [] };

describe('production readiness', () => {
  it('finds nothing outside production, whatever the setup', async () => {
    expect(await productionProblems(config({ NODE_ENV: 'development' }), demo)).toEqual([]);
  });

  it('names every demo secret, demo user, generated secret and the plain-http issuer, with the setting that fixes it', async () => {
    const problems = await productionProblems(config({ NODE_ENV: 'production', METRICS_TOKEN: 'y'.repeat(40) }), demo);
    expect(problems).toEqual([
      `client user-service in ${DEMO_FILE} has the demo secret: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
      `client message-service in ${DEMO_FILE} has the demo secret: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
      `user alice in ${DEMO_FILE} has the demo password: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
      `user bob in ${DEMO_FILE} has the demo password: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
      'signing keys would be generated in the data folder: set AUTH_SERVER_KEYS_FILE (or AUTH_SERVER_ALLOW_GENERATED_KEYS=true)',
      'cookie secrets would be generated in the data folder: set AUTH_SERVER_COOKIE_SECRETS (or AUTH_SERVER_ALLOW_GENERATED_KEYS=true)',
      'AUTH_SERVER_ISSUER http://localhost:9001 is not https: tokens, codes and cookies would travel unencrypted (or set AUTH_SERVER_ALLOW_INSECURE_ISSUER=true)',
    ]);
  });

  it('accepts a provisioned setup', async () => {
    expect(await productionProblems(config(provisioned), ownFile)).toEqual([]);
  });

  it('accepts signing keys and cookie secrets held encrypted in the database (replicated mode)', async () => {
    const replicated = { NODE_ENV: 'production', AUTH_SERVER_ISSUER: 'https://auth.example', METRICS_TOKEN: 'y'.repeat(40), AUTH_SERVER_DATABASE_URL: 'postgres://baton@db.internal:5432/baton' };
    expect(await productionProblems(config({ ...replicated, AUTH_SERVER_KEY_ENCRYPTION_KEY: 'k'.repeat(40) }), ownFile)).toEqual([]);
    expect(await productionProblems(config({ ...replicated, AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE: '/run/secrets/kek' }), ownFile)).toEqual([]);
  });

  it('accepts each problem once it is explicitly allowed', async () => {
    const allowed = config({
      NODE_ENV: 'production',
      METRICS_TOKEN: 'y'.repeat(40),
      AUTH_SERVER_ALLOW_DEMO_CONFIG: 'true',
      AUTH_SERVER_ALLOW_GENERATED_KEYS: 'true',
      AUTH_SERVER_ALLOW_INSECURE_ISSUER: 'true',
    });
    expect(await productionProblems(allowed, demo)).toEqual([]);
  });

  it('does not take a user called alice with her own password for the demo user', async () => {
    const alice = { ...demo.users[0], passwordHash: '$scrypt$ln=10,r=8,p=1$SDCOOFnbL58AzDn79yWJ8w$yTAknwA9lttDsEH62QJZRVP7JQjS6bOjFxSGH8aBXfQ' };
    expect(await productionProblems(config(provisioned), { ...ownFile, users: [alice as (typeof demo.users)[number]] })).toEqual([]);
  });
});
