import { JWTPayload, JWK, ProtectedHeaderParameters, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { KeyObject } from 'node:crypto';
import { JWT_BEARER_CLIENT_ASSERTION_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from '../token-exchange.constants';
import { CheckedDpopProof, DpopProofError, checkDpopProof } from './dpop-proof';
import { HttpStub, RecordedRequest, StubAnswer } from './http-stub';
import { grantedAnswer, oauthError } from './token-answers';

/** The client the stub accepts; without one, any client is accepted (and recorded). */
export interface StubClient {
  clientId: string;
  /** For client_secret_basic and client_secret_post. */
  clientSecret?: string;
  /** For private_key_jwt: the client's public key, checked with jose. */
  publicKey?: KeyObject | JWK;
}

/** How a request to the stub's token endpoint authenticated its client. */
export interface StubClientAuthentication {
  method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  clientId: string | undefined;
  /** For private_key_jwt: the assertion's header and claims, read after its signature was checked. */
  assertion?: { header: ProtectedHeaderParameters; claims: JWTPayload };
}

/** One request to the token endpoint, with how its client authenticated. */
export interface TokenEndpointRequest extends RecordedRequest {
  clientAuthentication: StubClientAuthentication;
  /** The request's DPoP proof, once checked (absent when it carried none or it was refused). */
  dpop?: CheckedDpopProof;
}

/** How the stub treats DPoP proofs (RFC 9449 §5, §8). */
export interface StubDpopOptions {
  /** Refuse exchanges without a proof (400 `invalid_dpop_proof`), like a client with `requireDpop`. */
  required?: boolean;
  /** Demand this nonce in proofs: 400 `use_dpop_nonce` with `DPoP-Nonce` until a proof carries it. */
  nonce?: string;
}

/** Answers an authenticated exchange; `index` counts exchanges from 0. */
export type TokenEndpointHandler = (request: TokenEndpointRequest, index: number) => StubAnswer | Promise<StubAnswer>;

export interface TokenEndpointStubOptions {
  /** The one client accepted; without it any client is accepted. A wrong one gets 401 invalid_client. */
  client?: StubClient;
  /** How to answer exchanges (default `grantedAnswer`: `exchanged-1`, `exchanged-2`... for 300 s). */
  handler?: TokenEndpointHandler;
  /**
   * DPoP: a proof that comes is always checked (signature, `typ`, `htm` POST, `htu` the token
   * endpoint, `iat`, `jti` never twice); these options require one and a nonce.
   */
  dpop?: StubDpopOptions;
}

const TOKEN_PATH = '/oauth2/token';
const METADATA_PATH = '/.well-known/oauth-authorization-server';

/**
 * A stand-in auth server for tests of code that uses `@baton/token-exchange`: a real HTTP
 * server on 127.0.0.1 with a token endpoint and its RFC 8414 discovery document.
 *
 * It authenticates the client as a real server would (client_secret_basic, client_secret_post,
 * or private_key_jwt with the assertion's signature and claims checked by jose, a `jti` never
 * accepted twice), refuses anything but the RFC 8693 grant with the right OAuth error, answers
 * exchanges with `handler`, and records every request (`exchanges`), so a test asserts on what
 * reached the server, not on mocks.
 *
 * ```
 * const authServer = await TokenEndpointStub.start({ client: { clientId: 'my-service', clientSecret: 's3cret' } });
 * // TokenExchangeModule.forRoot({ issuer: authServer.issuer, clientId: 'my-service', clientSecret: 's3cret' })
 * authServer.answerWith(() => oauthError(400, 'invalid_target'));
 * await authServer.stop();
 * ```
 */
export class TokenEndpointStub {
  /** Every request that reached the token endpoint (POST), authenticated or not. */
  readonly exchanges: TokenEndpointRequest[] = [];
  private handler: TokenEndpointHandler;
  private readonly seenAssertionIds = new Set<string>();
  private readonly seenProofIds = new Set<string>();
  private dpopOptions: StubDpopOptions;
  private granted = 0;

  private constructor(
    private readonly http: HttpStub,
    private readonly client: StubClient | undefined,
    handler: TokenEndpointHandler | undefined,
    dpop: StubDpopOptions | undefined,
  ) {
    this.dpopOptions = { ...dpop };
    this.handler = handler ?? ((request, index) => grantedAnswer(request, index));
  }

  static async start(options: TokenEndpointStubOptions = {}): Promise<TokenEndpointStub> {
    // The server starts first (its URL is the issuer); it answers once the stub exists.
    const started: { stub?: TokenEndpointStub } = {};
    const http = await HttpStub.start((request) => (started.stub === undefined ? { status: 503 } : started.stub.answer(request)));
    started.stub = new TokenEndpointStub(http, options.client, options.handler, options.dpop);
    return started.stub;
  }

  /** The issuer (discovery works from it). */
  get issuer(): string {
    return this.http.url;
  }

  get tokenEndpoint(): string {
    return `${this.http.url}${TOKEN_PATH}`;
  }

  /** Every request the server received, discovery included. */
  get requests(): readonly RecordedRequest[] {
    return this.http.requests;
  }

  /** Answers the next exchanges with `handler` instead. */
  answerWith(handler: TokenEndpointHandler): void {
    this.handler = handler;
  }

  /** Changes the DPoP policy, e.g. a new nonce (proofs with the old one get `use_dpop_nonce`). */
  requireDpop(options: StubDpopOptions): void {
    this.dpopOptions = { ...options };
  }

  async stop(): Promise<void> {
    await this.http.stop();
  }

  private async answer(request: RecordedRequest): Promise<StubAnswer> {
    if (request.path === METADATA_PATH) {
      return { status: 200, body: { issuer: this.issuer, token_endpoint: this.tokenEndpoint, grant_types_supported: [TOKEN_EXCHANGE_GRANT_TYPE] } };
    }
    if (request.path !== TOKEN_PATH) return { status: 404, body: { error: 'not_found' } };
    if (request.method !== 'POST') return oauthError(405, 'invalid_request', 'POST only');
    const clientAuthentication = await this.authenticate(request);
    const recorded: TokenEndpointRequest = { ...request, clientAuthentication };
    this.exchanges.push(recorded);
    if (clientAuthentication.method === 'none' || clientAuthentication.clientId === undefined) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
        headers: { 'WWW-Authenticate': 'Basic realm="stub"' },
      };
    }
    if (request.form.get('grant_type') !== TOKEN_EXCHANGE_GRANT_TYPE) return oauthError(400, 'unsupported_grant_type');
    if (!request.form.get('subject_token') || !request.form.get('subject_token_type')) {
      return oauthError(400, 'invalid_request', 'subject_token and subject_token_type are required');
    }
    const refusal = await this.checkDpop(recorded);
    if (refusal !== undefined) return refusal;
    const index = this.granted;
    this.granted += 1;
    return this.handler(recorded, index);
  }

  /** Checks the request's DPoP proof (recording it); the refusal to answer, if any. */
  private async checkDpop(request: TokenEndpointRequest): Promise<StubAnswer | undefined> {
    const header = request.headers['dpop'];
    if (header === undefined) {
      return this.dpopOptions.required ? oauthError(400, 'invalid_dpop_proof', 'a DPoP proof is required') : undefined;
    }
    let proof: CheckedDpopProof;
    try {
      if (typeof header !== 'string') throw new DpopProofError('several DPoP headers');
      proof = await checkDpopProof(header, { method: 'POST', url: this.tokenEndpoint });
    } catch (error) {
      return oauthError(400, 'invalid_dpop_proof', error instanceof DpopProofError ? error.message : 'invalid proof');
    }
    if (this.seenProofIds.has(proof.claims.jti)) return oauthError(400, 'invalid_dpop_proof', 'jti replayed');
    this.seenProofIds.add(proof.claims.jti);
    const nonce = this.dpopOptions.nonce;
    if (nonce !== undefined && proof.claims.nonce !== nonce) {
      const answer = oauthError(400, 'use_dpop_nonce', 'a nonce is required');
      return answer === 'destroy' ? answer : { ...answer, headers: { 'DPoP-Nonce': nonce, 'Cache-Control': 'no-store' } };
    }
    request.dpop = proof;
    return undefined;
  }

  /** Which method the request used and whether it proves the expected client (`none` when not). */
  private async authenticate(request: RecordedRequest): Promise<StubClientAuthentication> {
    const refused = (method: StubClientAuthentication['method'] = 'none'): StubClientAuthentication => ({
      method,
      clientId: undefined,
    });
    const authorization = request.headers.authorization;
    const form = request.form;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return refused();
      const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      return this.secretMatches(clientId, secret) ? { method: 'client_secret_basic', clientId } : refused();
    }
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== JWT_BEARER_CLIENT_ASSERTION_TYPE) return refused();
      return this.checkAssertion(assertion, form.get('client_id'));
    }
    const clientId = form.get('client_id');
    const secret = form.get('client_secret');
    if (clientId !== null && secret !== null) {
      return this.secretMatches(clientId, secret) ? { method: 'client_secret_post', clientId } : refused();
    }
    return refused();
  }

  private secretMatches(clientId: string, secret: string): boolean {
    if (this.client === undefined) return true;
    return this.client.clientId === clientId && this.client.clientSecret !== undefined && this.client.clientSecret === secret;
  }

  private async checkAssertion(assertion: string, clientIdField: string | null): Promise<StubClientAuthentication> {
    const refused: StubClientAuthentication = { method: 'none', clientId: undefined };
    try {
      const header = decodeProtectedHeader(assertion);
      if (this.client === undefined) {
        // No client configured: the assertion is read, not verified (there is no key to check it with).
        const claims = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as JWTPayload;
        return { method: 'private_key_jwt', clientId: claims.sub, assertion: { header, claims } };
      }
      const { publicKey, clientId } = this.client;
      if (publicKey === undefined || (clientIdField !== null && clientIdField !== clientId)) return refused;
      const key = publicKey instanceof KeyObject ? publicKey : await importJWK(publicKey, header.alg);
      const { payload } = await jwtVerify(assertion, key, {
        issuer: clientId,
        subject: clientId,
        audience: [this.tokenEndpoint, this.issuer],
        requiredClaims: ['jti', 'exp', 'iat'],
        maxTokenAge: '5m',
      });
      const jti = payload.jti as string;
      if (this.seenAssertionIds.has(jti)) return refused;
      this.seenAssertionIds.add(jti);
      return { method: 'private_key_jwt', clientId, assertion: { header, claims: payload } };
    } catch {
      return refused;
    }
  }
}
