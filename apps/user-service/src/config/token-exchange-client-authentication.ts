import { ClientAuthenticationOptions } from '@baton/token-exchange';
import { readFileSync } from 'node:fs';
import { UserServiceConfig } from './user-service.config';

/**
 * How user-service authenticates at the token endpoint, from its configuration: the secret
 * (client_secret_basic or client_secret_post), or the private key read from
 * TOKEN_EXCHANGE_PRIVATE_KEY_FILE (private_key_jwt; PEM, or a JWK as JSON). The key is checked by
 * `TokenExchangeModule` at start; an unreadable file stops the start here with its name only.
 */
export function tokenExchangeClientAuthentication(
  config: Pick<UserServiceConfig, 'tokenExchangeClientAuthMethod' | 'tokenExchangeClientSecret' | 'tokenExchangePrivateKeyFile'>,
): ClientAuthenticationOptions {
  if (config.tokenExchangeClientAuthMethod !== 'private_key_jwt') {
    return { method: config.tokenExchangeClientAuthMethod, clientSecret: config.tokenExchangeClientSecret };
  }
  let text: string;
  try {
    text = readFileSync(config.tokenExchangePrivateKeyFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`TOKEN_EXCHANGE_PRIVATE_KEY_FILE ${config.tokenExchangePrivateKeyFile} cannot be read (${code})`);
  }
  const trimmed = text.trim();
  return { method: 'private_key_jwt', privateKey: trimmed.startsWith('{') ? parseJwk(trimmed) : trimmed };
}

function parseJwk(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below, without the file's content.
  }
  throw new Error('TOKEN_EXCHANGE_PRIVATE_KEY_FILE holds neither a PEM key nor a JWK object');
}
