import { Global, Module } from '@nestjs/common';
import { AuthServerDatabase } from './auth-server-database';
import { OidcStore } from './oidc-store';

/** Global: the keys, the abuse limits and the provider all take the one AuthServerDatabase. */
@Global()
@Module({
  providers: [AuthServerDatabase, OidcStore],
  exports: [AuthServerDatabase, OidcStore],
})
export class PersistenceModule {}
