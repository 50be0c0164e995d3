/** The protected resource metadata document (RFC 9728 §2) a resource server publishes. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly string[];
  readonly resource_signing_alg_values_supported: readonly string[];
  /** RFC 9728 §2: the DPoP proof algorithms accepted, when the service accepts DPoP. */
  readonly dpop_signing_alg_values_supported?: readonly string[];
  /** RFC 9728 §2: every token must be DPoP-bound (`dpop.required: true`). */
  readonly dpop_bound_access_tokens_required?: boolean;
}
