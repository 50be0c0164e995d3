import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@baton/config';
import { setUpApiDocs } from '@baton/http-api';
import { controllerRoutes, documentedRoutes } from '@baton/testing';
import { AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module';
import { userServiceConfig } from '../src/config/user-service.config';

type Document = { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown> } };

/** user-service's OpenAPI document, served by the app in-process (nothing else needs to run). */
describe('user-service OpenAPI document', () => {
  let app: INestApplication;
  let baseUrl: string;
  let document: Document;

  beforeAll(async () => {
    const config = loadConfig(userServiceConfig.schema, { AUTH_ISSUER: 'http://127.0.0.1:9', LOG_LEVEL: 'silent' });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(userServiceConfig.KEY)
      .useValue(config)
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    setUpApiDocs(app, { title: 'user-service', description: 'test', version: '0.0.0' });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    document = (await (await fetch(`${baseUrl}/api/docs.json`)).json()) as Document;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('lists every route of the service, and nothing else', () => {
    // The protected resource metadata (RFC 9728) is a route of the service too, public.
    expect(controllerRoutes(app)).toEqual([
      'GET /.well-known/oauth-protected-resource',
      'GET /api/users/me',
      'GET /api/users/messages',
      'POST /api/users/messages',
    ]);
    expect(documentedRoutes(document)).toEqual(controllerRoutes(app));
  });

  it('gives each route the bearer scheme and its required scope', () => {
    expect(document.paths['/api/users/me']?.['get']).toMatchObject({ security: [{ bearer: [] }], 'x-required-scopes': ['user.read'] });
    expect(document.paths['/api/users/messages']?.['get']).toMatchObject({ 'x-required-scopes': ['message.read'] });
    expect(document.paths['/api/users/messages']?.['post']).toMatchObject({ 'x-required-scopes': ['message.write'] });
  });

  it('describes the answers with the DTOs, the exchange failures included', () => {
    const list = document.paths['/api/users/messages']?.['get'] as { responses: Record<string, unknown> };
    expect(JSON.stringify(list.responses['200'])).toContain('#/components/schemas/MessageListResponse');
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '502', '503']));
    expect(JSON.stringify(document.paths['/api/users/me']?.['get'])).toContain('#/components/schemas/UserIdentity');
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['UserIdentity', 'ActClaim', 'MessageResponse']));
  });

  it('serves the documentation without a token, the API only with one', async () => {
    expect((await fetch(`${baseUrl}/api/docs`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/api/docs.json`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/api/users/me`)).status).toBe(401);
  });
});
