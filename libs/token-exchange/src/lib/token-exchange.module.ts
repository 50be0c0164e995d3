import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { TOKEN_EXCHANGE_CLOCK } from './clock';
import { DownstreamClients } from './downstream/downstream-clients.service';
import { TokenExchangeExceptionFilter } from './errors/token-exchange-exception.filter';
import { ResolvedTokenExchangeOptions, resolveTokenExchangeOptions } from './resolve-token-exchange-options';
import { TokenExchangeTelemetry } from './telemetry/token-exchange.telemetry';
import { TokenEndpointClient } from './token-endpoint/token-endpoint.client';
import {
  ConfigurableTokenExchangeModule,
  RESOLVED_TOKEN_EXCHANGE_OPTIONS,
  TOKEN_EXCHANGE_OPTIONS,
} from './token-exchange.module-definition';
import { TokenExchangeService } from './token-exchange.service';

/**
 * The RFC 8693 client as a Nest module: `TokenExchangeModule.forRoot({...})`, or
 * `forRootAsync({ imports, inject, useFactory })` to build the options from `ConfigService`.
 *
 * Provides `TokenExchangeService` and `DownstreamClients` (global unless `isGlobal: false`). It
 * changes nothing else in the host app: no global filter, guard or pipe. Its errors are
 * `HttpException`s carrying their headers (`headers`); an app without a catch-all filter that
 * applies them registers `TokenExchangeExceptionFilter` itself.
 *
 * The options are checked when the app starts: a mistake stops it with one line
 * (`TokenExchangeOptionsError: TokenExchangeModule: <option> ...`).
 */
@Module({
  imports: [HttpModule.register({})],
  providers: [
    {
      provide: RESOLVED_TOKEN_EXCHANGE_OPTIONS,
      inject: [TOKEN_EXCHANGE_OPTIONS],
      useFactory: resolveTokenExchangeOptions,
    },
    {
      provide: TOKEN_EXCHANGE_CLOCK,
      inject: [RESOLVED_TOKEN_EXCHANGE_OPTIONS],
      useFactory: (options: ResolvedTokenExchangeOptions) => options.clock,
    },
    TokenExchangeTelemetry,
    TokenEndpointClient,
    TokenExchangeService,
    DownstreamClients,
    TokenExchangeExceptionFilter,
  ],
  exports: [TokenExchangeService, DownstreamClients, TokenExchangeExceptionFilter, TOKEN_EXCHANGE_CLOCK],
})
export class TokenExchangeModule extends ConfigurableTokenExchangeModule {}
