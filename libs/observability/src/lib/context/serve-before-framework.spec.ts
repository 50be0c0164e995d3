import { Controller, Get, INestApplication, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LogCapture } from '../../test-support/log-capture';
import { ObservabilityModule } from '../observability.module';
import { useStructuredLogs } from '../startup/service-bootstrap';
import { useHttpHygiene } from '../startup/http-hygiene';
import { RequestContext } from './request-context';
import { RequestContextMiddleware } from './request-context.middleware';
import { serveBeforeFramework, type FrontRoutes } from './serve-before-framework';

/** Serves `/front/*` itself, as oidc-provider's routes are in the auth server. */
@Injectable()
class FrontApp implements FrontRoutes, OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tracking: RequestContextMiddleware,
    private readonly context: RequestContext,
  ) {}

  onApplicationBootstrap(): void {
    serveBeforeFramework(this.adapterHost, this.tracking, this);
  }

  install(): void {
    serveBeforeFramework(this.adapterHost, this.tracking, this);
  }

  handles(path: string): boolean {
    return path.startsWith('/front/');
  }

  serve(request: IncomingMessage, response: ServerResponse): void {
    if (request.url === '/front/throw') throw new Error('front broke');
    // The request's context survives an await, as it does in a Nest route.
    void new Promise((resolve) => setTimeout(resolve, 1)).then(() => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ servedBy: 'front', requestId: this.context.requestId }));
    });
  }
}

@Controller()
class ShadowedController {
  /** The same path as a front route: never reached. */
  @Get('front/hello')
  hello() {
    return { servedBy: 'nest' };
  }

  @Get('nest/hello')
  nest() {
    return { servedBy: 'nest' };
  }
}

describe('serveBeforeFramework (real HTTP)', () => {
  const logs = new LogCapture();
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ObservabilityModule.forRoot({
          service: 'front-test',
          version: '1.0.0',
          logDestination: logs,
          routeOf: (request) => (request.url?.startsWith('/front/') ? '/front/*' : undefined),
        }),
      ],
      controllers: [ShadowedController],
      providers: [FrontApp],
    }).compile();
    app = moduleRef.createNestApplication({ bufferLogs: true });
    useStructuredLogs(app);
    // A listener put in front of the framework before the front routes are installed.
    useHttpHygiene(app, { noStore: { except: [] } });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  async function lineOf(requestId: string, msg: string): Promise<Record<string, unknown>> {
    const started = performance.now();
    while (performance.now() - started < 20_000) {
      const line = logs.where({ requestId, msg })[0];
      if (line !== undefined) return line;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no "${msg}" line for ${requestId}`);
  }

  it('serves its paths ahead of Nest, with the request id, its context, the listeners before it and the request line', async () => {
    const response = await fetch(`${baseUrl}/front/hello?x=1`, { headers: { 'x-request-id': 'front-1' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ servedBy: 'front', requestId: 'front-1' });
    expect(response.headers.get('x-request-id')).toBe('front-1');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await lineOf('front-1', 'request completed')).toMatchObject({ method: 'GET', path: '/front/hello', route: '/front/*', status: 200 });
  });

  it('counts its requests in the metrics', async () => {
    await fetch(`${baseUrl}/front/counted`);
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{service="front-test",method="GET",route="\/front\/\*",status="200"\} [1-9]/);
  });

  it('leaves every other path to Nest', async () => {
    const response = await fetch(`${baseUrl}/nest/hello`, { headers: { 'x-request-id': 'nest-1' } });
    expect(await response.json()).toEqual({ servedBy: 'nest' });
    expect(response.headers.get('x-request-id')).toBe('nest-1');
    // useHttpHygiene's noStore: no-store, and no ETag for it to be revalidated with.
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    expect(await lineOf('nest-1', 'request completed')).toMatchObject({ route: '/nest/hello', status: 200 });
  });

  it('answers an error its handler throws with 500 server_error and an error id, logs no stack, and keeps serving', async () => {
    const response = await fetch(`${baseUrl}/front/throw`, { headers: { 'x-request-id': 'front-throw' } });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe('server_error');
    expect(body.error_description).not.toContain('front broke');
    const errorId = /error id ([0-9a-f-]{36})/.exec(body.error_description)?.[1];
    expect(errorId).toBeDefined();
    const line = await lineOf('front-throw', `unexpected error ${errorId}: Error: front broke`);
    expect(line['level']).toBe('error');
    expect(JSON.stringify(line)).not.toMatch(/\n\s+at |serve-before-framework\.spec/);
    expect((await fetch(`${baseUrl}/front/again`)).status).toBe(200);
  });

  it('refuses to be installed twice (the framework listener is gone the second time)', () => {
    expect(() => app.get(FrontApp).install()).toThrow(/not the framework's/);
  });
});
