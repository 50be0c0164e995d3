import type { TokenExchangePolicy } from '@baton/oidc-provider-token-exchange';

/**
 * What the auth server serves, read from one declarative file (YAML or JSON) and validated at
 * start. Defaults are applied here, so consumers never see optional policy fields.
 */
export interface DeclarativeConfig {
  /** Absolute path of the file it came from. */
  readonly source: string;
  readonly resourceServers: readonly ResourceServerDefinition[];
  readonly clients: readonly ClientDefinition[];
  readonly users: readonly UserDefinition[];
}

export interface ResourceServerDefinition {
  /** Logical audience, the `aud` of tokens for it (`message-service`). */
  readonly audience: string;
  /** Resource indicator URI (RFC 8707), as written in the file (`http://localhost:8081`). */
  readonly resource: string;
  readonly scopes: readonly string[];
  /** Seconds an access token for it lives. */
  readonly accessTokenTtl: number;
}

/**
 * A client's `tokenExchange` block with defaults applied: the grant package's policy, parsed by its
 * `parseExchangePolicy` (RFC 8693 §1.1 mode, targets, subject audiences, scope cap, `act` depth).
 */
export type TokenExchangePolicyDefinition = TokenExchangePolicy;

export interface ClientDefinition {
  readonly clientId: string;
  /** `undefined` for a public client (authorization code + PKCE only). */
  readonly secret: string | undefined;
  readonly grantTypes: readonly string[];
  readonly redirectUris: readonly string[];
  /** Every scope the client may be granted (OpenID scopes and resource servers' scopes). */
  readonly scopes: readonly string[];
  /** Audience of the resource server used when a request names none. */
  readonly defaultResource: string | undefined;
  readonly tokenExchange: TokenExchangePolicyDefinition | undefined;
  /** What the client's own (client_credentials) tokens may be for; `undefined` without that grant. */
  readonly clientCredentials: ClientCredentialsPolicyDefinition | undefined;
  /** Whose tokens the client may introspect besides its own. */
  readonly introspection: IntrospectionPolicyDefinition;
}

export interface ClientCredentialsPolicyDefinition {
  /**
   * Audiences the client may get client_credentials tokens for. Default: its default resource
   * (`defaultResource`, else the resource server whose audience is its client id). A token for
   * another service on the client's own behalf would bypass the exchange policy (issue 11, H07).
   */
  readonly targets: readonly string[];
}

export interface IntrospectionPolicyDefinition {
  /**
   * Audiences whose tokens this client may introspect (RFC 7662): a resource server introspecting
   * the tokens meant for it. Default: the resource server whose audience is the client's id, for
   * a confidential client; none for a public one.
   */
  readonly audiences: readonly string[];
}

export interface UserDefinition {
  /** Also the user's `sub`. */
  readonly username: string;
  /** scrypt PHC string (`npm run hash-password`). */
  readonly passwordHash: string;
  readonly name: string | undefined;
  readonly email: string | undefined;
}
