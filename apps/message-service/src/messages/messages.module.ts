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
  providers: [
    // The cursor key lives in the database: read (or made) once at start.
    { provide: MessageCursor, inject: [MessagesRepository], useFactory: (repository: MessagesRepository) => MessageCursor.load(repository) },
    MessagesService,
    DemoMessagesSeeder,
  ],
})
export class MessagesModule {}
