import { ServiceUnavailableException } from '@nestjs/common';

const DESCRIPTION = 'The server cannot store this request now; nothing was changed. Try again later.';

/**
 * A write the auth server's database refused (full disk, file size limit, I/O error, read-only):
 * nothing was stored, so nothing may be acknowledged (a sign-in, a code, a rotated refresh token).
 *
 * Thrown from oidc-provider's adapter it is rendered by oidc-provider itself: `expose`,
 * `statusCode`, `message` (the OAuth error code) and `error_description` make it
 * `503 { "error": "temporarily_unavailable", "error_description": … }` (RFC 6749 §4.1.2.1, §5.2),
 * or a redirect with `error=temporarily_unavailable` from the authorization endpoint. Thrown
 * through a Nest route (the sign-in pages) it is a 503 HttpException. No SQLite detail in either.
 */
export class StorageUnavailableError extends ServiceUnavailableException {
  readonly error = 'temporarily_unavailable';
  readonly error_description = DESCRIPTION;
  readonly statusCode = 503;
  /** oidc-provider renders exposed errors as they are; unexposed ones become `server_error`. */
  readonly expose = true;

  constructor() {
    super({ error: 'temporarily_unavailable', message: DESCRIPTION });
    this.name = 'StorageUnavailableError';
    // oidc-provider answers `message` as the OAuth `error` code; Nest reads the response body above.
    this.message = 'temporarily_unavailable';
  }
}
