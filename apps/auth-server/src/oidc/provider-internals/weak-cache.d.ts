/**
 * oidc-provider's accessor of a Provider's private state (its `#int`), an internal module (not
 * covered by its semver). Only before-grant.ts may import it; before-grant.spec.ts fails if the
 * state it reads moves.
 */
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  /** The private state of `provider`, or `undefined` for anything that is not a Provider. */
  export default function instance(provider: unknown): Record<string, unknown> | undefined;
}
