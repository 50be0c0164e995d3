/** The claims of an access token this server issued, after its signature and times were checked. */
export interface VerifiedAccessToken {
  /** `kid` of the key that signed it. */
  kid: string;
  iss: string;
  sub: string;
  /** `aud` as a list (RFC 7519 allows a string or an array). */
  aud: string[];
  clientId?: string;
  scopes: string[];
  exp: number;
  iat?: number;
  jti?: string;
  /** RFC 8693 §4.1, as found in the token (validated where it is used). */
  act?: unknown;
  /** RFC 8693 §4.4, as found in the token (validated where it is used). */
  mayAct?: unknown;
  /** RFC 7800 confirmation (`cnf`): the token is bound to a key (DPoP, mTLS), as found in the token. */
  cnf?: unknown;
  /** Every claim of the payload as found in the token, for a host's own checks (e.g. a private claim). */
  claims: Readonly<Record<string, unknown>>;
}
