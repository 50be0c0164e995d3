/** The protected resource metadata document (RFC 9728 §2) a resource server publishes. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly string[];
  readonly resource_signing_alg_values_supported: readonly string[];
}
