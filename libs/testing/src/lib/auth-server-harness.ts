import type { TokenSet } from '@baton/dto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, workspaceRoot } from './app-process';
import { AuthorizationCodeLoginOptions, authorizationCodeLogin, refreshTokens, tokenRequest } from './authorization-code-login';
import { freePort } from './free-port';

export interface ClientCredentialsOptions {
  /** Default `user-service`. */
  clientId?: string;
  /** Default `secret` (the demo secret of user-service). */
  clientSecret?: string;
  scope?: string;
  /** A resource server by URI or audience; default the client's default resource. */
  resource?: string;
}

/**
 * `scope` (default `openid user.read message.read message.write`), `resource` (URI or audience;
 * default demo-app's, user-service), `consent` (scopes left checked; default all offered),
 * `jar` (reuse a browser's cookies), `onStep`.
 */
export type LoginOptions = Pick<AuthorizationCodeLoginOptions, 'scope' | 'resource' | 'consent' | 'jar' | 'onStep'>;

export interface AuthServerHarness {
  /** `http://127.0.0.1:<port>`: the exact `iss` of its tokens and the base of its endpoints. */
  readonly issuer: string;
  readonly port: number;
  readonly dataDir: string;
  /** The running process (a new one after restart()). */
  readonly process: AppProcess;
  /** A client_credentials token (client_secret_basic); throws OAuthRequestError when refused. */
  clientCredentials(options?: ClientCredentialsOptions): Promise<TokenSet>;
  /** Authorization code + PKCE for demo-app, login and consent forms driven over HTTP. */
  login(username: string, password: string, options?: LoginOptions): Promise<TokenSet>;
  /** A refresh_token grant for demo-app. */
  refresh(refreshToken: string): Promise<TokenSet>;
  /** SIGTERM, wait for exit. The data folder is kept (restart() may follow). */
  stop(): Promise<void>;
  /** Stops and starts again on the same port with the same data folder. */
  restart(): Promise<void>;
}

export interface StartAuthServerOptions {
  /** Default: a new temporary folder (removed when the test process exits). */
  dataDir?: string;
  /** Extra environment, e.g. `{ AUTH_SERVER_SIGNING_ALG: 'RS256' }`; wins over the defaults. */
  env?: Record<string, string>;
  /** Default: a free port. */
  port?: number;
}

const temporaryFolders = new Set<string>();
process.once('exit', () => temporaryFolders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/**
 * Starts the built auth server (`dist/apps/auth-server/main.js`; the test target needs
 * `dependsOn` auth-server:build) with the demo configuration on 127.0.0.1, issuer
 * `http://127.0.0.1:<port>`, and its SQLite database in the data folder so restarts keep state.
 */
export async function startAuthServer(options: StartAuthServerOptions = {}): Promise<AuthServerHarness> {
  const port = options.port ?? (await freePort());
  let dataDir = options.dataDir;
  if (dataDir === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), 'baton-auth-server-'));
    temporaryFolders.add(dataDir);
  }
  const issuer = `http://127.0.0.1:${port}`;
  const env = {
    AUTH_SERVER_PORT: String(port),
    AUTH_SERVER_ISSUER: issuer,
    AUTH_SERVER_DATA_DIR: dataDir,
    AUTH_SERVER_CONFIG_FILE: join(workspaceRoot(), 'apps', 'auth-server', 'config', 'demo.yaml'),
    HOST: '127.0.0.1',
    ...options.env,
  };
  const start = (): Promise<AppProcess> => AppProcess.start({ app: 'auth-server', env, healthUrl: `${issuer}/health/ready` });
  let running = await start();

  const harness: AuthServerHarness = {
    issuer,
    port,
    dataDir,
    get process() {
      return running;
    },
    clientCredentials: ({ clientId = 'user-service', clientSecret = 'secret', scope, resource } = {}) =>
      tokenRequest(
        issuer,
        {
          grant_type: 'client_credentials',
          ...(scope === undefined ? {} : { scope }),
          ...(resource === undefined ? {} : { resource }),
        },
        { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
      ),
    login: (username, password, loginOptions = {}) =>
      authorizationCodeLogin({ baseUrl: issuer, username, password, ...loginOptions }),
    refresh: (refreshToken) => refreshTokens({ baseUrl: issuer, refreshToken }),
    stop: async () => {
      await running.stop();
    },
    restart: async () => {
      await running.stop();
      running = await start();
    },
  };
  return harness;
}
