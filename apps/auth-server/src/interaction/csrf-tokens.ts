import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CookieSecretsService } from '../keys/cookie-secrets.service';

/**
 * CSRF protection of the login and consent forms, on top of the interaction cookie (SameSite=Lax,
 * bound to the browser that started the sign-in): every form carries a token derived from the
 * interaction id with the cookie secret, which another site can neither read nor compute; and a
 * POST whose `Origin` (or `Sec-Fetch-Site`) shows another site is refused outright.
 */
@Injectable()
export class CsrfTokens {
  constructor(private readonly cookieSecrets: CookieSecretsService) {}

  /** The token of the forms of interaction `uid` (signed with the current cookie secret). */
  tokenFor(uid: string): string {
    return this.sign(this.cookieSecrets.secrets[0] as string, uid);
  }

  /** Whether `token` belongs to interaction `uid` (any configured cookie secret, for rotation). */
  verify(uid: string, token: string): boolean {
    const given = Buffer.from(token);
    return this.cookieSecrets.secrets.some((secret) => {
      const expected = Buffer.from(this.sign(secret, uid));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private sign(secret: string, uid: string): string {
    return createHmac('sha256', secret).update(`baton-interaction-csrf:${uid}`).digest('base64url');
  }
}

/**
 * False when the browser says the form was posted from another site: an `Origin` whose host is not
 * the one the form was served from, or `Sec-Fetch-Site: cross-site`/`same-site`. A request without
 * either (a non-browser client), or with `Origin: null` (what browsers send from a page whose
 * Referrer-Policy is no-referrer, as these pages have), is judged by the token alone.
 */
export function isSameOriginPost(request: IncomingMessage, issuer: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null') return true;
  const host = URL.parse(origin)?.host;
  return host !== undefined && (host === request.headers.host || host === new URL(issuer).host);
}
