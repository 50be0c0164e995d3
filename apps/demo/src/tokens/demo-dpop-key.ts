import { DpopKey } from '@baton/token-exchange';
import { generateKeyPairSync, KeyObject } from 'node:crypto';

/**
 * The demo's DPoP key (RFC 9449), made once per run and held in memory only: the token-exchange
 * client signs its exchange proofs with it (the auth server binds the token to it, `cnf.jkt`),
 * and step 3 signs its own call to message-service with the same key, as user-service does.
 */
export function generateDemoDpopKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

/** The same key as a `DpopKey`, for the proofs the walkthrough makes itself. */
export function demoDpopKeyProvider(privateKey: KeyObject) {
  return { provide: DpopKey, useFactory: (): DpopKey => DpopKey.from(privateKey) };
}
