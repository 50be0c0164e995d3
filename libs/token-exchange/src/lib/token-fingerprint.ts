import { hash } from 'node:crypto';

/**
 * Names a token in logs and traces without revealing it: `sha256:` and the first 12 hex digits of
 * its SHA-256. Enough to tell two tokens apart in a log, useless to replay one.
 */
export function tokenFingerprint(token: string): string {
  return `sha256:${hash('sha256', token, 'hex').slice(0, 12)}`;
}
