import type { TokenSet } from '@baton/dto';
import { AppProcess, AuthServerHarness, freePort, LoginOptions, startAuthServer } from '@baton/testing';
import { DpopKey } from '@baton/token-exchange';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dpopHeaders, exchangeWithDpop } from './dpop-exchange';
import { Answer, call, CallOptions } from './http';

/** user-service's timeouts in these tests: short, so "within the timeout" is quick to prove. */
export const TOKEN_EXCHANGE_TIMEOUT_MS = 1_500;
export const DOWNSTREAM_TIMEOUT_MS = 1_500;

/** A token exchanged as user-service does it: bound to a DPoP key (RFC 9449), which comes with it. */
export interface BoundTokenSet extends TokenSet {
  /** The key the token is bound to (`cnf.jkt`): every call with the token needs a proof of it. */
  readonly key: DpopKey;
}

export interface BatonSystemOptions {
  /** Extra environment of the auth server, e.g. `AUTH_SERVER_CONFIG_FILE`. */
  authServerEnv?: Record<string, string>;
  userServiceEnv?: Record<string, string>;
  messageServiceEnv?: Record<string, string>;
  /** message-service's port, when a test must know it before the services start (e.g. to put a proxy in front). */
  messagePort?: number;
}

/**
 * The three built apps as real processes on free ports, wired to each other, with a fresh data
 * folder: the auth server (issuer `http://127.0.0.1:<port>`, file database and keys), then
 * message-service (SQLite file) and user-service. Each can be stopped and started again on the
 * same port and data.
 */
export class BatonSystem {
  private constructor(
    readonly auth: AuthServerHarness,
    private readonly dataDir: string,
    private readonly ports: { message: number; user: number },
    private readonly options: BatonSystemOptions,
    private messageProcess: AppProcess,
    private userProcess: AppProcess,
  ) {}

  static async start(options: BatonSystemOptions = {}): Promise<BatonSystem> {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-e2e-'));
    // LOG_LEVEL info: the auth server's audit lines (one per exchange) are counted by tests.
    const auth = await startAuthServer({ env: { LOG_LEVEL: 'info', ...options.authServerEnv } });
    const ports = { message: options.messagePort ?? (await freePort()), user: await freePort() };
    const [messageProcess, userProcess] = await Promise.all([
      BatonSystem.startMessageService(auth, dataDir, ports.message, options),
      BatonSystem.startUserService(auth, ports, options),
    ]);
    return new BatonSystem(auth, dataDir, ports, options, messageProcess, userProcess);
  }

  get userServiceUrl(): string {
    return `http://127.0.0.1:${this.ports.user}`;
  }

  get messageServiceUrl(): string {
    return `http://127.0.0.1:${this.ports.message}`;
  }

  get messagePort(): number {
    return this.ports.message;
  }

  get userService(): AppProcess {
    return this.userProcess;
  }

  get messageService(): AppProcess {
    return this.messageProcess;
  }

  login(username: string, options?: LoginOptions): Promise<TokenSet> {
    return this.auth.login(username, `${username}-password`, options);
  }

  /** How many token exchanges the auth server has audited (granted or refused) so far. */
  auditedExchanges(): number {
    return this.auth.process.logs.split('TokenExchangeAudit').length - 1;
  }

  /**
   * A token exchange exactly as user-service makes it (client_secret_basic, a DPoP proof of a key
   * of its own: the demo client must send one), for tests to inspect and use with `callMessageService`.
   */
  async exchangeAsUserService(subjectToken: string, scope = 'message.read'): Promise<BoundTokenSet> {
    const key = DpopKey.generate();
    const answer = await exchangeWithDpop(this.auth.issuer, subjectToken, key, { scope });
    if (answer.status !== 200) throw new Error(`exchange refused: ${answer.status} ${JSON.stringify(answer.body)}`);
    return { ...answer.body, key };
  }

  /** A call to message-service with a token from `exchangeAsUserService`: `Authorization: DPoP` and a fresh proof. */
  callMessageService<T = unknown>(exchanged: BoundTokenSet, path = '/api/messages', options: Omit<CallOptions, 'token'> = {}): Promise<Answer<T>> {
    const url = `${this.messageServiceUrl}${path}`;
    const method = options.method ?? (options.json === undefined && options.form === undefined ? 'GET' : 'POST');
    return call<T>(url, { ...options, headers: { ...options.headers, ...dpopHeaders(exchanged.key, method, url, exchanged.access_token) } });
  }

  async stopMessageService(): Promise<void> {
    await this.messageProcess.stop();
  }

  /** Starts message-service again on the same port and database. */
  async startMessageService(): Promise<void> {
    this.messageProcess = await BatonSystem.startMessageService(this.auth, this.dataDir, this.ports.message, this.options);
  }

  async stop(): Promise<void> {
    await Promise.all([this.userProcess.stop(), this.messageProcess.stop(), this.auth.stop()]);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private static startMessageService(
    auth: AuthServerHarness,
    dataDir: string,
    port: number,
    options: BatonSystemOptions,
  ): Promise<AppProcess> {
    const url = `http://127.0.0.1:${port}`;
    return AppProcess.start({
      app: 'message-service',
      env: {
        MESSAGE_SERVICE_PORT: String(port),
        MESSAGE_SERVICE_DATABASE: join(dataDir, 'messages.sqlite'),
        AUTH_ISSUER: auth.issuer,
        // The URL DPoP proofs name (htu): the one user-service and the tests call it at.
        MESSAGE_SERVICE_PUBLIC_URL: url,
        ...options.messageServiceEnv,
      },
      healthUrl: `${url}/health/ready`,
    });
  }

  private static startUserService(
    auth: AuthServerHarness,
    ports: { message: number; user: number },
    options: BatonSystemOptions,
  ): Promise<AppProcess> {
    return AppProcess.start({
      app: 'user-service',
      env: {
        USER_SERVICE_PORT: String(ports.user),
        AUTH_ISSUER: auth.issuer,
        MESSAGE_SERVICE_URL: `http://127.0.0.1:${ports.message}`,
        TOKEN_EXCHANGE_TIMEOUT_MS: String(TOKEN_EXCHANGE_TIMEOUT_MS),
        DOWNSTREAM_TIMEOUT_MS: String(DOWNSTREAM_TIMEOUT_MS),
        ...options.userServiceEnv,
      },
      healthUrl: `http://127.0.0.1:${ports.user}/health/ready`,
    });
  }
}
