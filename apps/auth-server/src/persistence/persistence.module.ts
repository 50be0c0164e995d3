import { Module } from '@nestjs/common';
import { OidcStore } from './oidc-store';

@Module({
  providers: [OidcStore],
  exports: [OidcStore],
})
export class PersistenceModule {}
