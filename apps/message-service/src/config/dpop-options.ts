import type { DpopOptions, DpopReplayStore, VerifiedClaims } from '@baton/resource-server';
import type { MessageServiceConfig } from './message-service.config';

/** Tokens that came through a token exchange: someone acts for the subject (RFC 8693 `act`). */
const exchanged = (claims: VerifiedClaims): boolean => claims.act !== undefined;

/**
 * message-service's DPoP policy from its configuration: by default an exchanged token (one with
 * `act`) is accepted only DPoP-bound, while a user's own token (sign-in, no `act`) stays a bearer
 * token. A bound token is always checked, whatever the policy.
 */
export function dpopOptionsFromConfig(config: MessageServiceConfig, replayStore: DpopReplayStore): DpopOptions {
  return {
    required: config.requireDpop === 'always' ? true : config.requireDpop === 'exchanged' ? exchanged : false,
    iatWindowSeconds: config.dpopIatWindowSeconds,
    ...(config.publicUrl === '' ? {} : { publicUrl: config.publicUrl }),
    ...(config.dpopNonceSecret === '' ? {} : { nonce: { secret: config.dpopNonceSecret } }),
    replayStore,
  };
}
