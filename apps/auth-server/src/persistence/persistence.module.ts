import { Global, Module } from '@nestjs/common';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { AuthServerDatabase } from './auth-server-database';
import { OidcStorage } from './oidc-storage';
import { OidcStore } from './oidc-store';
import { PostgresOidcStore } from './postgres-oidc-store';

/**
 * Global: the keys, the abuse limits and the provider all take the one AuthServerDatabase.
 * OidcStorage is the engine AuthServerDatabase names: the SQLite OidcStore in the embedded mode,
 * PostgresOidcStore (migrated before anything is served) in the replicated one. The OidcStore
 * token is the SQLite store itself, null in the replicated mode.
 */
@Global()
@Module({
  providers: [
    AuthServerDatabase,
    {
      provide: OidcStorage,
      inject: [AuthServerDatabase, authServerConfig.KEY],
      useFactory: async (database: AuthServerDatabase, config: AuthServerConfig): Promise<OidcStorage> =>
        database.pool === undefined ? new OidcStore(config) : PostgresOidcStore.open(database.pool),
    },
    {
      provide: OidcStore,
      inject: [OidcStorage],
      useFactory: (storage: OidcStorage): OidcStore | null => (storage instanceof OidcStore ? storage : null),
    },
  ],
  exports: [AuthServerDatabase, OidcStorage, OidcStore],
})
export class PersistenceModule {}
