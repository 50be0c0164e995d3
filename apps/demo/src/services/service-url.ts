/** The names of Baton's three services, in the order they are started. */
export const SERVICE_NAMES = ['auth-server', 'message-service', 'user-service'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether the demo may start a service for this URL: only on this machine. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(url).hostname);
}

/** The TCP port a URL names, explicit or the scheme's default. */
export function portOf(url: string): number {
  const parsed = new URL(url);
  if (parsed.port !== '') return Number(parsed.port);
  return parsed.protocol === 'https:' ? 443 : 80;
}

/** The address a service started for `url` binds to. */
export function bindAddressOf(url: string): string {
  return new URL(url).hostname === '[::1]' ? '::1' : '127.0.0.1';
}

/**
 * `endpoint` (a URL the auth server names after its issuer) moved onto `base`: where this
 * machine reaches it when the issuer's host is not reachable from here (containers, mapped ports).
 */
export function rebase(endpoint: string, base: string): string {
  const target = new URL(endpoint);
  return new URL(`${target.pathname}${target.search}`, base).href;
}
