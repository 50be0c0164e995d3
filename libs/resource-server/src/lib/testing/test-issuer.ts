import { randomUUID } from 'node:crypto';
import { ActClaim } from '../claims/act-claim';
import { JwksTestServer } from './jwks-test-server';
import { generateSigningKey, SigningAlgorithm, SigningKey, TokenForge } from './token-forge';

/** The claims of a forged access token; anything not given gets a working default. */
export interface ForgeTokenClaims {
  /** Default `alice`. */
  sub?: string;
  /** Default: the issuer's default audience. */
  aud?: string | string[];
  /** Space-separated scopes. Default: none (no `scope` claim). */
  scope?: string;
  /** The actor chain, e.g. `{ sub: 'user-service' }`. */
  act?: ActClaim;
  /** Default `test-client`. */
  client_id?: string;
  /** Seconds since the epoch. Default: 5 minutes from now. */
  exp?: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  /** Any other claim. */
  [claim: string]: unknown;
}

/** Options of `startTestIssuer`. */
export interface TestIssuerOptions {
  /** The `aud` of forged tokens unless one says otherwise. */
  audience: string;
  /** Default `ES256`; `EdDSA` makes an Ed25519 key. */
  algorithm?: SigningAlgorithm;
}

/**
 * A stand-in for the authorization server in an adopter's tests: a real HTTP server on 127.0.0.1
 * serving discovery (`/.well-known/oauth-authorization-server`) and a JWKS with one generated key,
 * and `forgeToken()` to sign access tokens (RFC 9068, `typ: at+jwt`) with that key. Point
 * `ResourceServerModule.forRoot({ issuer: testIssuer.issuer, audience })` at it.
 */
export interface TestIssuer {
  /** The issuer URL (`iss` of its tokens), e.g. `http://127.0.0.1:41234`. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly key: SigningKey;
  /** The underlying server: request log, key replacement, stop/resume for outage tests. */
  readonly server: JwksTestServer;
  /** A signed access token with these claims over the defaults. */
  forgeToken(claims?: ForgeTokenClaims): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestIssuer(options: TestIssuerOptions): Promise<TestIssuer> {
  const key = generateSigningKey(options.algorithm ?? 'ES256');
  const server = await JwksTestServer.start([key.jwk]);
  const forge = new TokenForge({ issuer: server.issuer, audience: options.audience });
  return {
    issuer: server.issuer,
    jwksUri: server.jwksUri,
    key,
    server,
    forgeToken: ({ scope, ...claims }: ForgeTokenClaims = {}) =>
      forge.sign({
        key,
        claims: { client_id: 'test-client', jti: randomUUID(), ...claims, ...(scope === undefined ? {} : { scope }) },
        omit: scope === undefined ? ['scope'] : [],
      }),
    stop: () => server.stop(),
  };
}
