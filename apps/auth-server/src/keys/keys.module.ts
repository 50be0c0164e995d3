import { Module } from '@nestjs/common';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { AuthServerDatabase } from '../persistence/auth-server-database';
import { PersistenceModule } from '../persistence/persistence.module';
import { CookieSecretsService } from './cookie-secrets.service';
import { DatabaseKeyMaterial, DatabaseKeyStore } from './database-key-store';
import { KeyEncryption } from './key-encryption';
import { SigningKeysService } from './signing-keys.service';

/** The key material read from the database at start (replicated mode), before anything that signs is built. */
const DATABASE_KEY_MATERIAL = Symbol('DATABASE_KEY_MATERIAL');

export interface LoadedKeyMaterial extends DatabaseKeyMaterial {
  readonly store: DatabaseKeyStore;
}

/**
 * Replicated mode: creates the tables, then reads the shared key set and cookie secrets, making
 * them on the very first start. What the environment provides (AUTH_SERVER_KEYS_FILE,
 * AUTH_SERVER_COOKIE_SECRETS) wins over the database and is not stored there. Embedded mode: nothing.
 */
export async function loadDatabaseKeyMaterial(config: AuthServerConfig, database: Pick<AuthServerDatabase, 'pool'>): Promise<LoadedKeyMaterial | undefined> {
  if (database.pool === undefined) return undefined;
  const store = new DatabaseKeyStore(database.pool, KeyEncryption.fromConfig(config));
  await store.migrate();
  const material = await store.loadOrCreate({
    algorithm: config.keysFile === null ? config.signingAlgorithm : undefined,
    cookieSecrets: config.cookieSecrets === null,
  });
  return { ...material, store };
}

/**
 * Async factories: the database is read before the provider, the grant references and the CSRF
 * tokens are built, so everything that takes keys at construction gets the shared ones.
 */
@Module({
  imports: [PersistenceModule],
  providers: [
    {
      provide: DATABASE_KEY_MATERIAL,
      inject: [authServerConfig.KEY, AuthServerDatabase],
      useFactory: loadDatabaseKeyMaterial,
    },
    {
      provide: SigningKeysService,
      inject: [authServerConfig.KEY, DATABASE_KEY_MATERIAL],
      useFactory: (config: AuthServerConfig, material: LoadedKeyMaterial | undefined) =>
        new SigningKeysService(config, material?.signing === undefined ? undefined : { ...material.signing, store: material.store }),
    },
    {
      provide: CookieSecretsService,
      inject: [authServerConfig.KEY, DATABASE_KEY_MATERIAL],
      useFactory: (config: AuthServerConfig, material: LoadedKeyMaterial | undefined) => new CookieSecretsService(config, material?.cookieSecrets),
    },
  ],
  exports: [SigningKeysService, CookieSecretsService],
})
export class KeysModule {}
