import { randomBytes } from 'node:crypto';
import { AuthServerHarness, startAuthServer } from './auth-server-harness';
import { freePort } from './free-port';
import { ReplicaBalancer } from './replica-balancer';

export interface AuthServerReplicas {
  /** The balancer's URL: the one issuer of every replica (`iss`, discovery, redirects). */
  readonly issuer: string;
  readonly balancer: ReplicaBalancer;
  /**
   * The replicas, each reachable at its own `http://127.0.0.1:<port>` (`replicas[i].issuer` is that
   * direct URL, not the configured issuer): its helpers (clientCredentials, login, refresh) talk to
   * that replica only.
   */
  readonly replicas: readonly AuthServerHarness[];
  readonly databaseUrl: string;
  /** The AUTH_SERVER_KEY_ENCRYPTION_KEY every replica was given. */
  readonly keyEncryptionKey: string;
  stop(): Promise<void>;
}

export interface StartAuthServerReplicasOptions {
  /** A PostgreSQL database all replicas share (e.g. `await testPostgres.createDatabase()`). */
  readonly databaseUrl: string;
  /** Default 2. */
  readonly count?: number;
  /** Extra environment for every replica; wins over the defaults. */
  readonly env?: Record<string, string>;
}

/**
 * Several auth-server processes on one PostgreSQL database (replicated mode), behind one
 * ReplicaBalancer whose URL is their common issuer. Started one after the other, so the first
 * runs the migrations and generates the keys; start them at once yourself to test a concurrent start.
 */
export async function startAuthServerReplicas(options: StartAuthServerReplicasOptions): Promise<AuthServerReplicas> {
  const balancer = await ReplicaBalancer.start();
  const keyEncryptionKey = randomBytes(32).toString('base64url');
  const replicas: AuthServerHarness[] = [];
  try {
    for (let index = 0; index < (options.count ?? 2); index += 1) {
      replicas.push(
        await startAuthServer({
          port: await freePort(),
          env: {
            AUTH_SERVER_ISSUER: balancer.url,
            AUTH_SERVER_DATABASE_URL: options.databaseUrl,
            AUTH_SERVER_KEY_ENCRYPTION_KEY: keyEncryptionKey,
            ...options.env,
          },
        }),
      );
    }
  } catch (error) {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await balancer.stop();
    throw error;
  }
  balancer.setTargets(replicas.map((replica) => replica.issuer));
  return {
    issuer: balancer.url,
    balancer,
    replicas,
    databaseUrl: options.databaseUrl,
    keyEncryptionKey,
    stop: async () => {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await balancer.stop();
    },
  };
}
