import { Module } from '@nestjs/common';
import { MessageServiceClient } from './message-service.client';
import { UsersController } from './users.controller';

@Module({
  controllers: [UsersController],
  providers: [MessageServiceClient],
})
export class UsersModule {}
