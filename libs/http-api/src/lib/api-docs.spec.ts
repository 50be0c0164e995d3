import { JwksTestServer } from '@baton/resource-server/testing';
import { RunningTestApp, startTestApp } from '../test-support/test-app';

interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  description?: string;
  responses: Record<string, unknown>;
  'x-required-scopes'?: string[];
}

describe('setUpApiDocs (real HTTP)', () => {
  let jwks: JwksTestServer;
  let server: RunningTestApp;
  let document: { openapi: string; info: Record<string, string>; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

  beforeAll(async () => {
    jwks = await JwksTestServer.start([]);
    server = await startTestApp({ issuer: jwks.issuer, audience: 'probe', jwksUri: jwks.jwksUri }, true);
    const response = await fetch(`${server.url}/api/docs.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  });

  afterAll(async () => {
    await server.close();
    await jwks.stop();
  });

  const operation = (method: string, path: string): Operation => {
    const found = document.paths[path]?.[method];
    if (found === undefined) throw new Error(`${method} ${path} is not in the document`);
    return found;
  };

  it('serves OpenAPI 3 JSON and the Swagger UI without a token', async () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info).toMatchObject({ title: 'probe', version: '1.0.0' });
    expect(document.components['securitySchemes']).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    const ui = await fetch(`${server.url}/api/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');
  });

  it("requires the bearer scheme with the scopes the guard enforces, a method's scopes replacing its controller's", () => {
    expect(operation('get', '/read')).toMatchObject({ security: [{ bearer: [] }], 'x-required-scopes': ['message.read'] });
    expect(operation('post', '/write')['x-required-scopes']).toEqual(['message.read', 'message.write']);
    expect(operation('get', '/scoped')['x-required-scopes']).toEqual(['message.write']);
    expect(operation('get', '/scoped/override')['x-required-scopes']).toEqual(['message.read']);
    expect(operation('get', '/me')).toMatchObject({ security: [{ bearer: [] }], 'x-required-scopes': [] });
    expect(operation('get', '/read').description).toContain('Requires a bearer access token with scope message.read.');
  });

  it('documents the refusals: 401 always, 403 when scopes are needed, 503 when keys cannot be fetched', () => {
    expect(Object.keys(operation('get', '/read').responses)).toEqual(expect.arrayContaining(['401', '403', '503']));
    expect(Object.keys(operation('get', '/me').responses)).not.toContain('403');
    expect(document.components['schemas']?.['ApiError']).toMatchObject({ required: ['error', 'message'] });
  });

  it('leaves @Public() routes without security', () => {
    expect(operation('get', '/public').security).toEqual([]);
    expect(operation('get', '/public')['x-required-scopes']).toBeUndefined();
  });
});
