import { Module } from '@nestjs/common';
import { CookieSecretsService } from './cookie-secrets.service';
import { SigningKeysService } from './signing-keys.service';

@Module({
  providers: [SigningKeysService, CookieSecretsService],
  exports: [SigningKeysService, CookieSecretsService],
})
export class KeysModule {}
