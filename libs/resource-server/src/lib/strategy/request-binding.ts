import { BearerChallenge } from '../errors/resource-server.error';
import { AccessTokenVerifier } from '../verification/access-token-verifier';

/** What the guard found out about a request before Passport runs: the token and who verifies it. */
export interface RequestBinding {
  readonly token: string;
  readonly verifier: AccessTokenVerifier;
  /** The challenge of refusals: in the scheme the request used (Bearer or DPoP). */
  readonly challenge: BearerChallenge;
}

// Kept beside the request, not on it: nothing is added to the request object the app sees.
const bindings = new WeakMap<object, RequestBinding>();

/**
 * The guard binds each request to its app's verifier, so the one `baton-jwt` strategy in
 * Passport's registry serves every app of the process (tests start several, with different
 * issuers and audiences) without one app's strategy replacing another's.
 */
export function bindRequest(request: object, binding: RequestBinding): void {
  bindings.set(request, binding);
}

export function requestBinding(request: object): RequestBinding | undefined {
  return bindings.get(request);
}
