import type { ClientMetadata } from 'oidc-provider';
import { ClientDefinition } from '../declarative-config/declarative-config';
import { OPENID_SCOPES } from '../declarative-config/parse-declarative-config';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * oidc-provider client metadata for a client of the declarative file. A client whose redirect
 * URIs are all loopback (or private-use schemes) is `native`: oidc-provider then matches
 * loopback redirect URIs on any port (RFC 8252 §7.3).
 */
export function toClientMetadata(client: ClientDefinition): ClientMetadata {
  const usesCode = client.grantTypes.includes('authorization_code');
  const openIdScopes = client.scopes.filter((scope) => (OPENID_SCOPES as readonly string[]).includes(scope));
  const native =
    client.redirectUris.length > 0 &&
    client.redirectUris.every((uri) => {
      const url = new URL(uri);
      return (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) || !['http:', 'https:'].includes(url.protocol);
    });
  return {
    client_id: client.clientId,
    ...(client.secret === undefined
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: client.secret, token_endpoint_auth_method: 'client_secret_basic' }),
    grant_types: [...client.grantTypes],
    response_types: usesCode ? ['code'] : [],
    redirect_uris: [...client.redirectUris],
    application_type: native ? 'native' : 'web',
    // oidc-provider polices the OpenID scopes only (and refuses others here); resource scopes are
    // filtered per resource by ResourceServersService.
    ...(openIdScopes.length === 0 ? {} : { scope: openIdScopes.join(' ') }),
  };
}
