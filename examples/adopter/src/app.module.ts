import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ResourceServerExceptionFilter, ResourceServerModule } from '@baton/resource-server';
import { TokenExchangeExceptionFilter, TokenExchangeModule } from '@baton/token-exchange';
import { AdopterConfig } from './adopter.config';
import { InboxController } from './inbox.controller';
import { MESSAGE_SERVICE } from './downstreams';
import { ProfileController } from './profile.controller';

@Module({})
export class AppModule {
  static register(config: AdopterConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Verifies the auth server's tokens for this service's audience; protects nothing by itself.
        ResourceServerModule.forRoot({ issuer: config.issuer, audience: 'adopter-service', resource: config.resource }),
        // Exchanges a caller's token for one to message-service (RFC 8693), cached per subject token.
        // DPoP (RFC 9449): the token is bound to a key generated at start, and every call to
        // message-service carries a proof of it; message-service accepts exchanged tokens only so.
        TokenExchangeModule.forRoot({
          issuer: config.issuer,
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          dpop: true,
          downstreams: {
            [MESSAGE_SERVICE]: { baseUrl: config.messageServiceUrl, audience: 'message-service', scope: 'message.read' },
          },
        }),
      ],
      controllers: [ProfileController, InboxController],
      providers: [
        // The one documented line: every route needs a token for this audience unless @Public().
        ...ResourceServerModule.globalGuards(),
        // The packages' errors carry their headers (WWW-Authenticate, Retry-After): these filters send them.
        { provide: APP_FILTER, useClass: ResourceServerExceptionFilter },
        { provide: APP_FILTER, useClass: TokenExchangeExceptionFilter },
      ],
    };
  }
}
