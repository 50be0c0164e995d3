import { hash } from 'node:crypto';

/** Names a token in logs without revealing it: a short SHA-256 prefix. */
export function fingerprint(token: string): string {
  return `sha256:${hash('sha256', token, 'hex').slice(0, 12)}`;
}
