import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from '@baton/dto';

/**
 * The token request Spring Security 6.3's `TokenExchangeOAuth2AuthorizedClientProvider` sends with
 * its default converter, rebuilt byte for byte from its source (tag 6.3.0):
 * - `TokenExchangeGrantRequestEntityConverter.createParameters`: grant_type, requested_token_type
 *   (always access_token), subject_token, subject_token_type (`jwt` when the principal is a
 *   resource server's `Jwt`, `access_token` otherwise), actor_token(_type) when there is one, scope
 *   (the registration's scopes joined by a space), and client_id + client_secret only for
 *   client_secret_post. Never audience or resource.
 * - `DefaultOAuth2TokenRequestHeadersConverter.withCharsetUtf8()`: `Accept:
 *   application/json;charset=UTF-8`, `Content-Type: application/x-www-form-urlencoded;charset=UTF-8`,
 *   and for client_secret_basic `Authorization: Basic base64(urlencode(id):urlencode(secret))`
 *   (`HttpHeaders.setBasicAuth`, ISO-8859-1).
 * - `FormHttpMessageConverter.serializeForm`: `name=value` pairs in insertion order joined by `&`,
 *   each side through `java.net.URLEncoder.encode(…, UTF_8)`.
 */
export interface SpringRegistration {
  clientId: string;
  clientSecret: string;
  /** `client_secret_basic` is Spring's default. */
  clientAuthenticationMethod: 'client_secret_basic' | 'client_secret_post';
  scopes: readonly string[];
}

export interface SpringTokenExchange {
  subjectToken: string;
  /** Spring's resource server principal is a `Jwt` → `…:jwt`; any other `OAuth2Token` → `…:access_token`. */
  subjectIsJwt: boolean;
  /**
   * Not sent by Spring's default converter: what an application adds with
   * `addParametersConverter(...)` to name the target itself.
   */
  audience?: string;
}

export interface RawRequest {
  body: string;
  headers: Record<string, string>;
}

export function springTokenExchangeRequest(registration: SpringRegistration, exchange: SpringTokenExchange): RawRequest {
  const parameters: [string, string][] = [
    ['grant_type', TOKEN_EXCHANGE_GRANT_TYPE],
    ['requested_token_type', TokenTypeUri.accessToken],
    ['subject_token', exchange.subjectToken],
    ['subject_token_type', exchange.subjectIsJwt ? TokenTypeUri.jwt : TokenTypeUri.accessToken],
  ];
  if (registration.scopes.length > 0) parameters.push(['scope', registration.scopes.join(' ')]);
  if (registration.clientAuthenticationMethod === 'client_secret_post') {
    parameters.push(['client_id', registration.clientId], ['client_secret', registration.clientSecret]);
  }
  if (exchange.audience !== undefined) parameters.push(['audience', exchange.audience]);

  const headers: Record<string, string> = {
    Accept: 'application/json;charset=UTF-8',
    'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
  };
  if (registration.clientAuthenticationMethod === 'client_secret_basic') {
    const credentials = `${javaUrlEncode(registration.clientId)}:${javaUrlEncode(registration.clientSecret)}`;
    headers['Authorization'] = `Basic ${Buffer.from(credentials, 'latin1').toString('base64')}`;
  }
  return {
    body: parameters.map(([name, value]) => `${javaUrlEncode(name)}=${javaUrlEncode(value)}`).join('&'),
    headers,
  };
}

/**
 * `java.net.URLEncoder.encode(s, UTF_8)`: letters, digits and `.-*_` stay, a space becomes `+`,
 * every other byte of the UTF-8 encoding becomes `%XX` (upper-case hex). Not `encodeURIComponent`,
 * which keeps `!'()~` and writes a space as `%20`.
 */
export function javaUrlEncode(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_]/.test(char)) encoded += char;
    else if (char === ' ') encoded += '+';
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
