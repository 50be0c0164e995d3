import { DpopOptions } from '@baton/token-exchange';
import { readFileSync } from 'node:fs';
import { UserServiceConfig } from './user-service.config';

/**
 * user-service's DPoP setting for `TokenExchangeModule`, from its configuration: off, a key
 * generated at start (the default: nothing to provision, and a restart only costs new
 * exchanges), or the key in TOKEN_EXCHANGE_DPOP_KEY_FILE (PEM, or a JWK as JSON) so replicas or
 * restarts keep one key. The key itself is checked by the module at start; an unreadable file
 * stops the start here, naming the file, never quoting it.
 */
export function tokenExchangeDpop(
  config: Pick<UserServiceConfig, 'tokenExchangeDpop' | 'tokenExchangeDpopKeyFile' | 'tokenExchangeDpopAlgorithm'>,
): false | DpopOptions {
  if (!config.tokenExchangeDpop) return false;
  if (config.tokenExchangeDpopKeyFile === '') return { algorithm: config.tokenExchangeDpopAlgorithm };
  let text: string;
  try {
    text = readFileSync(config.tokenExchangeDpopKeyFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`TOKEN_EXCHANGE_DPOP_KEY_FILE ${config.tokenExchangeDpopKeyFile} cannot be read (${code})`);
  }
  // The package reads a PEM or a JWK's JSON text alike.
  return { key: text.trim() };
}
