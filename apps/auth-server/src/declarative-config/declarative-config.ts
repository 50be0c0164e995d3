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

export interface TokenExchangePolicyDefinition {
  /** Audiences a subject token may carry for this client to exchange it (its own resource). */
  readonly subjectAudiences: readonly string[];
  /** Audiences this client may ask exchanged tokens for. */
  readonly targets: readonly string[];
  /** The most scope an exchanged token may carry; `undefined`: no cap beyond subject and target. */
  readonly maxScope: readonly string[] | undefined;
  readonly allowActorToken: boolean;
  /** Actors an `act` chain may hold, this client included. */
  readonly maxActDepth: number;
}

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
}

export interface UserDefinition {
  /** Also the user's `sub`. */
  readonly username: string;
  /** scrypt PHC string (`npm run hash-password`). */
  readonly passwordHash: string;
  readonly name: string | undefined;
  readonly email: string | undefined;
}
