import type { TokenSet } from '@baton/dto';
import { AppProcess, AuthServerHarness, freePort, LoginOptions, startAuthServer } from '@baton/testing';
import { DpopKey } from '@baton/token-exchange';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic, Reply, send } from './http';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE } from './oauth-constants';
import { JsonObject, TrustedKey } from './trusted-key';

/** One of the two resource servers as the attacks see it: where to knock, and what it wants. */
export interface ResourceServerUnderTest {
  readonly name: 'user-service' | 'message-service';
  /** `aud` of its tokens, also the `realm` of its challenges. */
  readonly audience: string;
  readonly baseUrl: string;
  /** A protected GET and the scope it needs. */
  readonly path: string;
  readonly scope: string;
  readonly process: AppProcess;
}

export interface SecuritySystemOptions {
  /** Let the auth server generate its keys in its data folder (as by default) instead of the test's key. */
  generatedKeys?: boolean;
  authServerEnv?: Record<string, string>;
  userServiceEnv?: Record<string, string>;
  messageServiceEnv?: Record<string, string>;
}

/**
 * The auth server (signing with a key the test holds), message-service and user-service as real
 * processes on free ports, wired as in production: user-service exchanges tokens for
 * message-service at the auth server; both fetch the auth server's JWKS.
 */
export class SecuritySystem {
  private constructor(
    readonly auth: AuthServerHarness,
    readonly key: TrustedKey,
    readonly userService: ResourceServerUnderTest,
    readonly messageService: ResourceServerUnderTest,
    private readonly dataDir: string,
  ) {}

  /** The DPoP key the tests exchange with as user-service: tokens from `exchange` are bound to it. */
  readonly dpopKey: DpopKey = DpopKey.generate();

  static async start(options: SecuritySystemOptions = {}): Promise<SecuritySystem> {
    const key = TrustedKey.create();
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-security-'));
    const auth = await startAuthServer({
      env: { LOG_LEVEL: 'info', ...(options.generatedKeys ? {} : { AUTH_SERVER_KEYS_FILE: key.keysFile }), ...options.authServerEnv },
    });
    const [messagePort, userPort] = [await freePort(), await freePort()];
    const messageUrl = `http://127.0.0.1:${messagePort}`;
    const userUrl = `http://127.0.0.1:${userPort}`;
    const [messageProcess, userProcess] = await Promise.all([
      AppProcess.start({
        app: 'message-service',
        env: {
          LOG_LEVEL: 'info',
          MESSAGE_SERVICE_PORT: String(messagePort),
          MESSAGE_SERVICE_DATABASE: join(dataDir, 'messages.sqlite'),
          AUTH_ISSUER: auth.issuer,
          // The URL DPoP proofs name (htu): the one user-service and the tests call it at.
          MESSAGE_SERVICE_PUBLIC_URL: messageUrl,
          ...options.messageServiceEnv,
        },
        healthUrl: `${messageUrl}/health`,
      }),
      AppProcess.start({
        app: 'user-service',
        env: {
          LOG_LEVEL: 'info',
          USER_SERVICE_PORT: String(userPort),
          AUTH_ISSUER: auth.issuer,
          MESSAGE_SERVICE_URL: messageUrl,
          TOKEN_EXCHANGE_TIMEOUT_MS: '3000',
          DOWNSTREAM_TIMEOUT_MS: '3000',
          ...options.userServiceEnv,
        },
        healthUrl: `${userUrl}/health`,
      }),
    ]);
    return new SecuritySystem(
      auth,
      key,
      { name: 'user-service', audience: 'user-service', baseUrl: userUrl, path: '/api/users/me', scope: 'user.read', process: userProcess },
      {
        name: 'message-service',
        audience: 'message-service',
        baseUrl: messageUrl,
        path: '/api/messages',
        scope: 'message.read',
        process: messageProcess,
      },
      dataDir,
    );
  }

  get resourceServers(): readonly ResourceServerUnderTest[] {
    return [this.userService, this.messageService];
  }

  get tokenEndpoint(): string {
    return `${this.auth.issuer}/oauth2/token`;
  }

  /** Every process's output so far, labelled. */
  logs(): { app: string; text: string }[] {
    return [
      { app: 'auth-server', text: this.auth.process.logs },
      { app: 'user-service', text: this.userService.process.logs },
      { app: 'message-service', text: this.messageService.process.logs },
    ];
  }

  login(username: string, options?: LoginOptions): Promise<TokenSet> {
    return this.auth.login(username, `${username}-password`, options);
  }

  /** Claims of an access token this server would issue to demo-app for alice, for `audience`. */
  accessTokenClaims(audience: string, overrides: JsonObject = {}): JsonObject {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.auth.issuer,
      sub: 'alice',
      aud: audience,
      client_id: 'demo-app',
      scope: audience === 'user-service' ? 'user.read message.read message.write' : 'message.read message.write',
      iat: now,
      exp: now + 300,
      jti: `security-${now}-${Math.random().toString(36).slice(2)}`,
      ...overrides,
    };
  }

  /** The header the server puts on its access tokens. */
  accessTokenHeader(overrides: JsonObject = {}): JsonObject {
    return { alg: 'ES256', typ: 'at+jwt', kid: this.key.kid, ...overrides };
  }

  /** A token exactly like the server's own for `audience`, signed with its key. */
  validToken(audience: string, claims: JsonObject = {}, header: JsonObject = {}): string {
    return this.key.sign(this.accessTokenHeader(header), this.accessTokenClaims(audience, claims));
  }

  /** GET the protected route of a resource server with this Authorization header (or none). */
  knock(server: ResourceServerUnderTest, authorization?: string, path = server.path): Promise<Reply> {
    return send(`${server.baseUrl}${path}`, authorization === undefined ? {} : { headers: { authorization } });
  }

  /**
   * A token-exchange request as user-service (client_secret_basic) with these parameters and, by
   * default, a DPoP proof of `dpopKey` (the demo's user-service client must send one, RFC 9449 §5;
   * a nonce asked for is sent once more, §8). `dpopKey` null: no proof, as an attacker without a key.
   */
  async exchange(
    parameters: Record<string, string> | [string, string][],
    authorization = basic('user-service', 'secret'),
    dpopKey: DpopKey | null = this.dpopKey,
  ): Promise<Reply> {
    const form = Array.isArray(parameters)
      ? parameters
      : { grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN_TYPE, audience: 'message-service', ...parameters };
    const attempt = (nonce?: string): Promise<Reply> =>
      send(this.tokenEndpoint, {
        headers: {
          authorization,
          ...(dpopKey === null ? {} : { dpop: dpopKey.proof({ method: 'POST', url: this.tokenEndpoint, ...(nonce === undefined ? {} : { nonce }) }) }),
        },
        form,
      });
    const first = await attempt();
    const nonce = first.headers.get('dpop-nonce');
    if (dpopKey !== null && first.status === 400 && first.json?.['error'] === 'use_dpop_nonce' && nonce !== null) return attempt(nonce);
    return first;
  }

  /**
   * The headers of a call to `server` with a token from `exchange` (bound to `dpopKey`):
   * `Authorization: DPoP` and a fresh proof naming the URL (htu) and the token (ath), RFC 9449 §7.1.
   */
  dpopHeaders(server: ResourceServerUnderTest, accessToken: string, path = server.path, method = 'GET', dpopKey: DpopKey = this.dpopKey): Record<string, string> {
    return { authorization: `DPoP ${accessToken}`, dpop: dpopKey.proof({ method, url: `${server.baseUrl}${path}`, accessToken }) };
  }

  /** GET the protected route of a resource server with a DPoP-bound token from `exchange`. */
  knockWithDpop(server: ResourceServerUnderTest, accessToken: string, path = server.path): Promise<Reply> {
    return send(`${server.baseUrl}${path}`, { headers: this.dpopHeaders(server, accessToken, path) });
  }

  async stop(): Promise<void> {
    await Promise.all([this.userService.process.stop(), this.messageService.process.stop(), this.auth.stop()]);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
