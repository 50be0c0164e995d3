import { Module } from '@nestjs/common';
import { DeclarativeConfigModule } from '../declarative-config/declarative-config.module';
import { AccountsService } from './accounts.service';

@Module({
  imports: [DeclarativeConfigModule],
  providers: [AccountsService],
  exports: [AccountsService],
})
export class AccountsModule {}
