import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { pathOf } from '../logging/request-log';
import { RequestContextMiddleware } from './request-context.middleware';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** Requests a service serves itself, ahead of the framework (see `serveBeforeFramework`). */
export interface FrontRoutes {
  /** Whether the request to `path` (its URL without the query) is served here. */
  handles(path: string): boolean;
  /** Answers the request; runs inside the request's context (request id, metrics, request line). */
  serve(request: IncomingMessage, response: ServerResponse): void;
}

const logger = new Logger('ServeBeforeFramework');

/**
 * Serves the requests `routes` claims straight from the HTTP server, ahead of Express and Nest's
 * router, which cost a mounted app (oidc-provider: a Koa app with its own routing, body parsing
 * and errors) ~30 µs of CPU per request for nothing it uses. Such a request is still one of the
 * service's: `RequestContextMiddleware` gives it its request id, its place in graceful shutdown,
 * its metrics and its request line, as it does every other request. The rest go to the framework.
 *
 * Call it once the application is initialised (an `onApplicationBootstrap` hook, which
 * `app.listen()` and `app.init()` run). The framework's listener is replaced where it stands, so
 * listeners put in front of it (`useHttpHygiene`, a shutdown in progress) still run first. An
 * error `serve` throws is answered `500 server_error` with an id that the log line carries too,
 * never its message or stack; the process keeps serving.
 */
export function serveBeforeFramework(adapterHost: HttpAdapterHost, tracking: RequestContextMiddleware, routes: FrontRoutes): void {
  const framework = adapterHost.httpAdapter.getInstance() as RequestListener;
  const server = adapterHost.httpAdapter.getHttpServer() as Server;
  const listeners = server.listeners('request') as RequestListener[];
  if (!listeners.includes(framework)) {
    throw new Error("serveBeforeFramework: the HTTP server's request listener is not the framework's (call it once, from onApplicationBootstrap)");
  }
  const serveTracked = (request: IncomingMessage, response: ServerResponse): void => {
    tracking.use(request, response, () => serveOrAnswer500(routes, request, response));
  };
  const front: RequestListener = (request, response) => {
    if (routes.handles(pathOf(request.url))) serveTracked(request, response);
    else framework(request, response);
  };
  server.removeAllListeners('request');
  for (const listener of listeners) server.on('request', listener === framework ? front : listener);
}

function serveOrAnswer500(routes: FrontRoutes, request: IncomingMessage, response: ServerResponse): void {
  try {
    routes.serve(request, response);
  } catch (error) {
    const errorId = randomUUID();
    // Type and message, never the stack or the request: the same line a Nest route's error gets.
    logger.error(`unexpected error ${errorId}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
    if (response.headersSent) {
      response.end();
      return;
    }
    response.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(JSON.stringify({ error: 'server_error', error_description: `Something went wrong on our side (error id ${errorId}).` }));
  }
}
