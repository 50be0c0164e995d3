import type { IncomingMessage } from 'node:http';

/**
 * The address a request came from. Behind a TLS-terminating proxy (`trustProxy`, as for an https
 * issuer) that is the last `X-Forwarded-For` entry, the one the proxy added: entries left of it
 * are whatever the client sent. Otherwise the socket's address.
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').pop()?.trim();
    if (last) return last;
  }
  return request.socket.remoteAddress ?? 'unknown';
}
