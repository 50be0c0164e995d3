import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { InjectAppConfig } from '@baton/config';
import { createPostgresPool, describePostgresError } from '@baton/postgres';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';

/**
 * Which engine holds the auth server's shared state, and the one PostgreSQL connection pool of
 * the process when it is PostgreSQL (AUTH_SERVER_DATABASE_URL). Everything that must be the same
 * at every replica takes its connections from here: oidc-provider's models, the abuse limits, the
 * signing keys and cookie secrets. Unset: `pool` is undefined and each of them keeps its SQLite
 * / in-memory / data-folder form, exactly as in the embedded mode.
 */
@Injectable()
export class AuthServerDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger(AuthServerDatabase.name);
  /** The shared pool in replicated mode; undefined in embedded (SQLite) mode. */
  readonly pool: Pool | undefined;

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig) {
    this.pool =
      config.databaseUrl === null
        ? undefined
        : createPostgresPool(config.databaseUrl, {
            applicationName: 'baton-auth-server',
            max: config.databasePoolSize,
            onIdleError: (error) => this.logger.warn(`an idle database connection broke: ${describePostgresError(error)}`),
          });
  }

  get engine(): 'postgres' | 'sqlite' {
    return this.pool === undefined ? 'sqlite' : 'postgres';
  }

  /** Closed last (after every module's onModuleDestroy stopped its timers and queries). */
  async onApplicationShutdown(): Promise<void> {
    await this.pool?.end();
  }
}
