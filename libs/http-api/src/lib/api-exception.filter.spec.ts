import { Logger } from '@nestjs/common';
import { JwksTestServer, startTestIssuer, TestIssuer } from '@baton/resource-server/testing';
import { RunningTestApp, startTestApp } from '../test-support/test-app';

describe('ApiExceptionFilter and ApiValidationPipe over HTTP', () => {
  let jwks: JwksTestServer;
  let server: RunningTestApp;

  beforeAll(async () => {
    jwks = await JwksTestServer.start([]);
    server = await startTestApp({ issuer: jwks.issuer, audience: 'probe', jwksUri: jwks.jwksUri });
  });

  afterAll(async () => {
    await server.close();
    await jwks.stop();
  });

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('turns an unexpected error into a 500 with an error id, logged once, no internals in the answer', async () => {
    const logged: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    try {
      const response = await fetch(`${server.url}/boom`);
      expect(response.status).toBe(500);
      const body = (await response.json()) as Record<string, string>;
      expect(body['error']).toBe('internal_error');
      expect(body['errorId']).toMatch(/^[0-9a-f-]{36}$/);
      expect(body['message']).toBe(`An unexpected error occurred (error id ${body['errorId']})`);
      expect(JSON.stringify(body)).not.toContain('hunter2');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(body['errorId']);
      expect(logged[0]).toContain('internal detail');
    } finally {
      spy.mockRestore();
    }
  });

  it('gives Nest HTTP exceptions a stable snake_case error code', async () => {
    const missing = await fetch(`${server.url}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'Not Found' });
    const route = await fetch(`${server.url}/no-such-route`);
    expect(route.status).toBe(404);
    expect(((await route.json()) as Record<string, string>)['error']).toBe('not_found');
  });

  it('answers malformed JSON with 400 bad_request', async () => {
    const response = await post('/validate', '{"name":');
    expect(response.status).toBe(400);
    expect(((await response.json()) as Record<string, string>)['error']).toBe('bad_request');
  });

  it('answers validation failures with 400 validation_failed and the problems per field', async () => {
    const response = await post(
      '/validate',
      JSON.stringify({ name: 'too long', count: 'ten', address: { city: '' }, admin: true }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string; fields: Array<{ field: string; problems: string[] }> };
    expect(body.error).toBe('validation_failed');
    expect(body.message).toBe('The request is invalid');
    const byField = Object.fromEntries(body.fields.map((entry) => [entry.field, entry.problems]));
    expect(Object.keys(byField).sort()).toEqual(['address.city', 'admin', 'count', 'name']);
    expect(byField['admin']).toEqual(['property admin should not exist']);
    expect(byField['name']).toEqual(['name must be shorter than or equal to 5 characters']);
    expect(byField['count']).toEqual(expect.arrayContaining(['count must be an integer number']));
    expect(byField['address.city']).toEqual(['city must be longer than or equal to 1 characters']);
  });

  it('passes valid input through, converted to the DTO types', async () => {
    const response = await post('/validate', JSON.stringify({ name: 'ok', count: 3, address: { city: 'Oslo' } }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ name: 'ok', count: 3, address: { city: 'Oslo' } });
  });

  it('logs why a 5xx it answered on purpose happened (the error\'s detail), on one line, never in the answer', async () => {
    const logged: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    try {
      const response = await fetch(`${server.url}/busy`);
      expect(response.status).toBe(503);
      expect(await response.text()).not.toContain('ECONNRESET');
      expect(logged).toEqual(['503 temporarily_unavailable: network_error:ECONNRESET??forged line']);
      const missing = await fetch(`${server.url}/missing`);
      expect(missing.status).toBe(404);
      expect(logged).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('sets the headers an HttpException carries (the headers contract), well-formed ones only', async () => {
    const response = await fetch(`${server.url}/busy`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('x-split')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ error: 'temporarily_unavailable', message: 'Busy' });
  });
});

describe('ApiExceptionFilter with the resource-server guards', () => {
  let issuer: TestIssuer;
  let server: RunningTestApp;

  beforeAll(async () => {
    issuer = await startTestIssuer({ audience: 'probe' });
    server = await startTestApp({ issuer: issuer.issuer, audience: 'probe', realm: 'probe', resource: 'http://localhost:8081' });
  });

  afterAll(async () => {
    await server.close();
    await issuer.stop();
  });

  it('answers a refused token with the RFC 6750 challenge the error carries', async () => {
    const response = await fetch(`${server.url}/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="probe", resource_metadata="http://localhost:8081/.well-known/oauth-protected-resource"',
    );
    expect(await response.json()).toEqual({ error: 'unauthorized', message: 'An access token is required' });
  });

  it('answers a missing scope with 403 insufficient_scope and the scope in the challenge', async () => {
    const token = await issuer.forgeToken({ scope: 'message.write' });
    const response = await fetch(`${server.url}/read`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="probe", error="insufficient_scope", scope="message.read", resource_metadata="http://localhost:8081/.well-known/oauth-protected-resource"',
    );
  });

  it('answers 503 with Retry-After when the issuer is down and no key was ever fetched', async () => {
    const fresh = await startTestApp({ issuer: issuer.issuer, audience: 'probe' });
    await issuer.server.stop();
    try {
      const token = await issuer.forgeToken();
      const response = await fetch(`${fresh.url}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(((await response.json()) as Record<string, string>)['error']).toBe('temporarily_unavailable');
    } finally {
      await fresh.close();
      await issuer.server.resume();
    }
  });
});
