import type { TokenSet } from '@baton/dto';
import { DpopKey } from '@baton/token-exchange';
import { Answer, call } from './http';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** A token exchange answer: RFC 8693 §2.2.1, `token_type` DPoP when the server bound it. */
export interface ExchangeAnswer extends TokenSet {
  issued_token_type: string;
}

export interface DpopExchangeOptions {
  /** Default the demo's `user-service` client (secret `secret`), as user-service authenticates. */
  client?: { id: string; secret: string };
  audience?: string;
  scope?: string;
}

/**
 * A token exchange at the auth server with a DPoP proof of `key` (RFC 9449 §5), answered once
 * more with the server's nonce if it asks for one (§8). `key` undefined: no proof at all.
 */
export async function exchangeWithDpop(
  issuer: string,
  subjectToken: string,
  key: DpopKey | undefined,
  options: DpopExchangeOptions = {},
): Promise<Answer<ExchangeAnswer & { error?: string }>> {
  const client = options.client ?? { id: 'user-service', secret: 'secret' };
  const url = `${issuer}/oauth2/token`;
  const send = (nonce?: string) =>
    call<ExchangeAnswer & { error?: string }>(url, {
      headers: {
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        ...(key === undefined ? {} : { dpop: key.proof({ method: 'POST', url, ...(nonce === undefined ? {} : { nonce }) }) }),
      },
      form: {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        audience: options.audience ?? 'message-service',
        scope: options.scope ?? 'message.read',
      },
    });
  const first = await send();
  const nonce = first.headers.get('dpop-nonce');
  if (key !== undefined && first.status === 400 && first.body.error === 'use_dpop_nonce' && nonce !== null) return send(nonce);
  return first;
}

/** The headers of a call with a DPoP-bound token (RFC 9449 §7.1): a fresh proof of `key` for this method and URL. */
export function dpopHeaders(key: DpopKey, method: string, url: string, accessToken: string, nonce?: string): Record<string, string> {
  return {
    authorization: `DPoP ${accessToken}`,
    dpop: key.proof({ method, url, accessToken, ...(nonce === undefined ? {} : { nonce }) }),
  };
}
