import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { DemoMessagesSeeder } from './demo-messages.seeder';
import { MessageCursor } from './message-cursor';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';

@Module({
  imports: [DatabaseModule],
  controllers: [MessagesController],
  providers: [MessagesRepository, MessageCursor, MessagesService, DemoMessagesSeeder],
})
export class MessagesModule {}
