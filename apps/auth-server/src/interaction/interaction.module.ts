import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { OidcModule } from '../oidc/oidc.module';
import { FormBodyMiddleware } from './form-body.middleware';
import { InteractionController } from './interaction.controller';

@Module({
  imports: [OidcModule, AccountsModule],
  controllers: [InteractionController],
})
export class InteractionModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FormBodyMiddleware).forRoutes(InteractionController);
  }
}
