/**
 * Every place the auth server relies on oidc-provider beyond its semver-covered API (see
 * README.md): the rest of the app imports these functions, never `oidc-provider/lib/...`.
 */
export { beforeEveryGrant } from './before-grant';
export { basicChallenge, errorAnswerOf, rewriteErrorAnswer } from './error-answer';
export type { ErrorAnswerChange } from './error-answer';
export { onGrantTypeCheck } from './grant-type-check';
export { providerRefusal } from './provider-refusal';
export type { ProviderErrorLike, ProviderRefusal } from './provider-refusal';
export { replaceProviderKeys } from './replace-provider-keys';
export { replayDetectionId } from './replay-detection-id';
export { isStructuredTokenRefusal } from './structured-token-refusal';
