import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AbuseLimitsModule } from '../abuse/abuse-limits.module';
import { AccountsModule } from '../accounts/accounts.module';
import { KeysModule } from '../keys/keys.module';
import { OidcModule } from '../oidc/oidc.module';
import { CsrfTokens } from './csrf-tokens';
import { FormBodyMiddleware } from './form-body.middleware';
import { InteractionController } from './interaction.controller';

@Module({
  imports: [OidcModule, AccountsModule, KeysModule, AbuseLimitsModule],
  controllers: [InteractionController],
  providers: [CsrfTokens],
})
export class InteractionModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FormBodyMiddleware).forRoutes(InteractionController);
  }
}
