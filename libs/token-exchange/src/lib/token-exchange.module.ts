import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { SYSTEM_CLOCK, TOKEN_EXCHANGE_CLOCK } from './clock';
import { DownstreamClients } from './downstream/downstream-clients.service';
import { TokenExchangeExceptionFilter } from './errors/token-exchange-exception.filter';
import { ConfigurableTokenExchangeModule, TOKEN_EXCHANGE_OPTIONS } from './token-exchange.module-definition';
import { TokenExchangeModuleOptions } from './token-exchange.options';
import { TokenExchangeService } from './token-exchange.service';

/**
 * The RFC 8693 client as a Nest module:
 *
 * ```ts
 * TokenExchangeModule.forRootAsync({
 *   inject: [config.KEY],
 *   useFactory: (values) => ({ issuer: values.authIssuer, clientId: 'user-service', clientSecret: '...',
 *     downstreams: { messageService: { baseUrl: 'http://localhost:8081', audience: 'message-service' } } }),
 * })
 * ```
 *
 * Provides `TokenExchangeService` and `DownstreamClients`, and answers their errors over HTTP
 * (`TokenExchangeExceptionFilter`, registered for the app).
 */
@Module({
  imports: [HttpModule.register({})],
  providers: [
    TokenExchangeService,
    DownstreamClients,
    TokenExchangeExceptionFilter,
    { provide: APP_FILTER, useExisting: TokenExchangeExceptionFilter },
    {
      provide: TOKEN_EXCHANGE_CLOCK,
      inject: [TOKEN_EXCHANGE_OPTIONS],
      useFactory: (options: TokenExchangeModuleOptions) => options.clock ?? SYSTEM_CLOCK,
    },
  ],
  exports: [TokenExchangeService, DownstreamClients, TokenExchangeExceptionFilter, TOKEN_EXCHANGE_CLOCK],
})
export class TokenExchangeModule extends ConfigurableTokenExchangeModule {}
