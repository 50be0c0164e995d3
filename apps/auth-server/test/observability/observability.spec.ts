import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuthServerHarness, jsonLogLines, MetricsScrape, startAuthServer, waitForLogLine } from '@baton/testing';
import { tokenEndpointProof } from '../support/dpop-proof';

jest.setTimeout(60_000);

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const USER_SERVICE = { authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}` };

/** The auth server as an operator sees it: metrics, request ids in logs, probes, SIGTERM. */
describe('auth-server observability (the built server as a process)', () => {
  let auth: AuthServerHarness;

  beforeAll(async () => {
    auth = await startAuthServer({ env: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' } });
  });

  afterAll(async () => {
    await auth.stop();
  });

  const token = (form: Record<string, string>, headers: Record<string, string> = USER_SERVICE) =>
    fetch(`${auth.issuer}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });

  it('counts token requests by grant type and result, and exchanges by client, target and result', async () => {
    const before = await MetricsScrape.of(auth.issuer);
    const subject = (await auth.clientCredentials()).access_token;
    await auth.clientCredentials();
    expect((await token({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('user-service:wrong').toString('base64')}` })).status).toBe(401);
    expect((await token({ grant_type: 'password', username: 'alice', password: 'alice-password' })).status).toBe(400);
    // The demo's user-service must prove its DPoP key on every exchange (requireDpop).
    const exchange = async (audience: string) =>
      token(
        { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, audience, scope: 'message.read' },
        { ...USER_SERVICE, dpop: await tokenEndpointProof(auth.issuer) },
      );
    expect((await exchange('message-service')).status).toBe(200);
    expect((await exchange('message-service')).status).toBe(200);
    expect((await exchange('no-such-service')).status).toBe(400);
    const after = await MetricsScrape.of(auth.issuer);

    const requests = (grantType: string, result: string) =>
      after.increase(before, 'baton_token_requests_total', { service: 'auth-server', grant_type: grantType, result });
    expect(requests('client_credentials', 'success')).toBe(2);
    expect(requests('client_credentials', 'invalid_client')).toBe(1);
    expect(requests('other', 'unsupported_grant_type')).toBe(1);
    expect(requests(TOKEN_EXCHANGE, 'success')).toBe(2);
    expect(requests(TOKEN_EXCHANGE, 'invalid_target')).toBe(1);

    const exchanges = (target: string, result: string) =>
      after.increase(before, 'baton_token_exchanges_total', { client: 'user-service', target, result });
    expect(exchanges('message-service', 'granted')).toBe(2);
    // A target nobody registered is not a label value.
    expect(exchanges('unknown', 'invalid_target')).toBe(1);
    expect(after.text).not.toContain('no-such-service');

    const tokenRoute = { method: 'POST', route: '/oauth2/token' };
    expect(after.increase(before, 'http_request_duration_seconds_count', { ...tokenRoute, status: '200' })).toBe(4);
    expect(after.increase(before, 'http_request_duration_seconds_count', { ...tokenRoute, status: '400' })).toBe(2);
    expect(after.increase(before, 'http_request_duration_seconds_count', { ...tokenRoute, status: '401' })).toBe(1);
  });

  it('answers and logs the request id, and the exchange audit line carries it; no credential is logged', async () => {
    const subject = (await auth.clientCredentials()).access_token;
    const requestId = `test-${randomUUID()}`;
    const response = await token(
      { grant_type: TOKEN_EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, audience: 'message-service' },
      { ...USER_SERVICE, 'x-request-id': requestId, dpop: await tokenEndpointProof(auth.issuer) },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const issued = ((await response.json()) as { access_token: string }).access_token;

    const logs = () => auth.process.logs;
    const audit = await waitForLogLine(logs, (line) => line['event'] === 'token_exchange' && line.requestId === requestId);
    expect(audit).toMatchObject({ service: 'auth-server', context: 'TokenExchangeAudit', result: 'granted', client: 'user-service' });
    const completed = await waitForLogLine(logs, (line) => line.msg === 'request completed' && line.requestId === requestId);
    expect(completed).toMatchObject({ route: '/oauth2/token', status: 200, method: 'POST' });
    expect(completed['req']).toMatchObject({ headers: { authorization: '[redacted]' } });

    for (const secret of [subject, issued, USER_SERVICE.authorization.slice('Basic '.length)]) {
      expect(logs()).not.toContain(secret);
    }
  });

  it('is live on /health/live and /health, ready on /health/ready', async () => {
    for (const path of ['/health/live', '/health', '/health/ready']) {
      expect((await fetch(`${auth.issuer}${path}`)).status).toBe(200);
    }
  });

  it('starts with one line naming its URL, version and configuration, secrets masked', () => {
    const started = jsonLogLines(auth.process.logs).find((line) => line['context'] === 'Bootstrap');
    expect(started?.msg).toMatch(new RegExp(`^auth-server \\S+ listening on ${auth.issuer.replace(/[.]/g, '\\.')}$`));
    expect(started?.['configuration']).toMatchObject({ AUTH_SERVER_ISSUER: auth.issuer, METRICS_TOKEN: '[secret]' });
  });

  it('stops on SIGTERM with exit code 0, its database closed', async () => {
    const code = await auth.process.stop('SIGTERM');
    expect(code).toBe(0);
    expect(jsonLogLines(auth.process.logs).some((line) => line['context'] === 'GracefulShutdown' && line.msg === 'stopped')).toBe(true);
    // SQLite removes its write-ahead log when the last connection closes cleanly.
    expect(existsSync(join(auth.dataDir, 'oidc.sqlite-wal'))).toBe(false);
    await auth.restart();
  });
});
