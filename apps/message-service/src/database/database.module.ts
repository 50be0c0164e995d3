import { Module } from '@nestjs/common';
import { messageServiceConfig, MessageServiceConfig } from '../config/message-service.config';
import { MessagesRepository } from '../messages/messages.repository';
import { DatabaseReadinessCheck } from './database-readiness.check';
import { openMessagesRepositoryOrExit } from './open-message-database';

@Module({
  providers: [
    {
      provide: MessagesRepository,
      inject: [messageServiceConfig.KEY],
      // SQLite or PostgreSQL by MESSAGE_SERVICE_DATABASE; an unusable database stops the service with one JSON line.
      useFactory: (config: MessageServiceConfig) => openMessagesRepositoryOrExit(config),
    },
    DatabaseReadinessCheck,
  ],
  exports: [MessagesRepository, DatabaseReadinessCheck],
})
export class DatabaseModule {}
