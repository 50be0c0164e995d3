import { Module } from '@nestjs/common';
import { DeclarativeConfigModule } from '../declarative-config/declarative-config.module';
import { KeysModule } from '../keys/keys.module';
import { MetricsModule } from '../metrics/metrics.module';
import { OidcModule } from '../oidc/oidc.module';
import { TokenExchangeExtension } from './token-exchange.extension';

/** The RFC 8693 token-exchange grant, registered on the Provider through `@OidcExtension()`. */
@Module({
  imports: [DeclarativeConfigModule, KeysModule, OidcModule, MetricsModule],
  providers: [TokenExchangeExtension],
})
export class TokenExchangeModule {}
