import { Module } from '@nestjs/common';
import { DeclarativeConfigModule } from '../declarative-config/declarative-config.module';
import { KeysModule } from '../keys/keys.module';
import { MetricsModule } from '../metrics/metrics.module';
import { OidcModule } from '../oidc/oidc.module';
import { TokenExchangeExtension } from './token-exchange.extension';

/**
 * The RFC 8693 token-exchange grant (`@baton/oidc-provider-token-exchange`), registered on the
 * Provider through `@OidcExtension()`. Not to be confused with the client's `TokenExchangeModule`.
 */
@Module({
  imports: [DeclarativeConfigModule, KeysModule, OidcModule, MetricsModule],
  providers: [TokenExchangeExtension],
})
export class TokenExchangeGrantModule {}
