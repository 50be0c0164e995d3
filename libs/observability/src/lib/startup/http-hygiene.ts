import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { pathOf } from '../logging/request-log';

export interface HttpHygieneOptions {
  /**
   * Makes every answer private to its client: `Cache-Control: no-store` unless the handler sets a
   * `Cache-Control` of its own, errors of every layer included (a 401 or 403 from a guard, a 400
   * from the body parser). `except` lists the paths of public documents (OpenAPI, RFC 9728
   * metadata) left as they are; a path matches itself and what lies below it.
   *
   * Express's ETag goes too: no client or cache keeps a no-store answer to revalidate, yet Express
   * would hash every body for one (SHA-1, ~5 µs of a GET's CPU; issue 15). The public documents are
   * small and lose only their 304s.
   */
  noStore?: { except: readonly string[] };
}

/**
 * What main.ts calls before `listen()` so answers say no more than they must: no
 * `X-Powered-By: Express` (it names the framework to whoever probes for its weaknesses), and, for
 * an API whose answers are private, `Cache-Control: no-store` so no shared cache keeps one user's
 * data or another's error for the next.
 */
export function useHttpHygiene(app: INestApplication, options: HttpHygieneOptions = {}): void {
  const instance = app.getHttpAdapter().getInstance() as { disable?: (setting: string) => void };
  instance.disable?.('x-powered-by');
  const noStore = options.noStore;
  if (noStore === undefined) return;
  instance.disable?.('etag');
  // On the HTTP server, before Express: the header is there whichever layer answers, and a
  // handler that sets its own caching (health, metrics) still has the last word.
  (app.getHttpServer() as Server).prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!isUnder(pathOf(request.url), noStore.except)) response.setHeader('Cache-Control', 'no-store');
  });
}

function isUnder(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
