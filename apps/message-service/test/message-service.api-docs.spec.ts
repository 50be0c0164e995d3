import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@baton/config';
import { MESSAGE_READ_SCOPE, MESSAGE_WRITE_SCOPE } from '@baton/dto';
import { setUpApiDocs } from '@baton/http-api';
import { controllerRoutes, documentedRoutes } from '@baton/testing';
import { AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module';
import { messageServiceConfig } from '../src/config/message-service.config';

type Document = { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown> } };

/** message-service's OpenAPI document, served by the app in-process (no auth server needed). */
describe('message-service OpenAPI document', () => {
  let app: INestApplication;
  let document: Document;

  beforeAll(async () => {
    const config = loadConfig(messageServiceConfig.schema, {
      AUTH_ISSUER: 'http://127.0.0.1:9',
      MESSAGE_SERVICE_DATABASE: ':memory:',
      LOG_LEVEL: 'silent',
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(messageServiceConfig.KEY)
      .useValue(config)
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    setUpApiDocs(app, { title: 'message-service', description: 'test', version: '0.0.0' });
    await app.listen(0, '127.0.0.1');
    const response = await fetch(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/api/docs.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as Document;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('lists every route of the service, and nothing else', () => {
    // The protected resource metadata (RFC 9728) is a route of the service too, public.
    expect(controllerRoutes(app)).toEqual([
      'GET /.well-known/oauth-protected-resource',
      'GET /api/messages',
      'GET /api/messages/{id}',
      'POST /api/messages',
    ]);
    expect(documentedRoutes(document)).toEqual(controllerRoutes(app));
  });

  it('gives each route the bearer scheme and its required scope', () => {
    expect(document.paths['/api/messages']?.['get']).toMatchObject({ security: [{ bearer: [] }], 'x-required-scopes': [MESSAGE_READ_SCOPE] });
    expect(document.paths['/api/messages']?.['post']).toMatchObject({ security: [{ bearer: [] }], 'x-required-scopes': [MESSAGE_WRITE_SCOPE] });
    expect(document.paths['/api/messages/{id}']?.['get']).toMatchObject({ 'x-required-scopes': [MESSAGE_READ_SCOPE] });
  });

  it('describes bodies, queries and answers with the DTOs', () => {
    const post = document.paths['/api/messages']?.['post'] as { requestBody: unknown; responses: Record<string, unknown> };
    expect(JSON.stringify(post.requestBody)).toContain('#/components/schemas/CreateMessageRequest');
    expect(JSON.stringify(post.responses['201'])).toContain('#/components/schemas/MessageResponse');
    expect(JSON.stringify(post.responses['507'])).toContain('insufficient_storage');
    const list = document.paths['/api/messages']?.['get'] as { parameters: { name: string; in: string }[] };
    expect(list.parameters.map((parameter) => `${parameter.in}:${parameter.name}`).sort()).toEqual(['query:cursor', 'query:limit']);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['CreateMessageRequest', 'MessageResponse', 'MessageListResponse', 'ApiError']),
    );
    expect(document.components.schemas['CreateMessageRequest']).toMatchObject({ required: ['to', 'text'] });
  });
});
