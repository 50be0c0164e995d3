import { Agent as HttpAgent, ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Largest downstream body read; a longer one is refused (`too_large`) rather than buffered. */
export const MAX_DOWNSTREAM_RESPONSE_BYTES = 1_048_576;

/** A downstream's answer as it came: status, headers and the whole body as text. */
export interface RawDownstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * How a call ended without an answer to pass on: `timeout` (the deadline passed), `network` (no
 * connection, or it broke; `code` is Node's, e.g. `ECONNREFUSED`), `too_large` (body over the cap).
 */
export class DownstreamTransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'too_large',
    readonly code: string,
  ) {
    super(`downstream ${kind}${kind === 'network' ? `: ${code}` : ''}`);
    this.name = 'DownstreamTransportError';
  }
}

/**
 * The HTTP side of one downstream, on `node:http`/`node:https` with a keep-alive agent of its own.
 * Measured (bench/user-service, issue 15) at about a third of the CPU per call of axios through
 * `@nestjs/axios` and half of the `fetch` built into Node, for the same call. It does only what
 * `DownstreamClient` needs: one request, a total deadline (connect, send and the whole body), the
 * body as text up to a cap, no redirect followed, no retry.
 */
export class DownstreamHttp {
  private readonly agent: HttpAgent;
  private readonly send: (options: RequestOptions) => ClientRequest;
  private readonly target: Pick<RequestOptions, 'protocol' | 'hostname' | 'port'>;
  /** The base URL's path without its trailing slash ('' for the root). */
  private readonly basePath: string;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    const secure = url.protocol === 'https:';
    this.agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = secure ? httpsRequest : httpRequest;
    // URL keeps the brackets of an IPv6 literal; the socket wants the bare address.
    this.target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port || undefined };
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  /**
   * Sends one request (`path` from the base URL's path on, query included) and resolves with the
   * answer, whatever its status; rejects with a `DownstreamTransportError` when there is none
   * within `timeoutMs`.
   */
  request(method: string, path: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawDownstreamResponse> {
    return new Promise<RawDownstreamResponse>((resolve, reject) => {
      let settled = false;
      let request: ClientRequest | undefined;
      const fail = (error: DownstreamTransportError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request?.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new DownstreamTransportError('timeout', 'timeout')), timeoutMs);
      try {
        request = this.send({
          ...this.target,
          method,
          path: this.basePath + path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        });
      } catch (error) {
        // Node refuses some requests before sending anything (a header value with a newline...).
        fail(new DownstreamTransportError('network', errorCode(error)));
        return;
      }
      request.on('error', (error) => fail(new DownstreamTransportError('network', errorCode(error))));
      request.on('response', (response: IncomingMessage) => {
        const declared = Number(response.headers['content-length']);
        if (declared > MAX_DOWNSTREAM_RESPONSE_BYTES) {
          fail(new DownstreamTransportError('too_large', 'too_large'));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_DOWNSTREAM_RESPONSE_BYTES) fail(new DownstreamTransportError('too_large', 'too_large'));
          else chunks.push(chunk);
        });
        // The connection broke in the middle of the body.
        response.on('error', (error) => fail(new DownstreamTransportError('network', errorCode(error))));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'),
          });
        });
      });
      request.end(body);
    });
  }

  /** Closes the kept-alive connections (the module calls it when the app shuts down). */
  close(): void {
    this.agent.destroy();
  }
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : 'unknown';
}
