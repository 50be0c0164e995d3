import { Module } from '@nestjs/common';
import { messageServiceConfig, MessageServiceConfig } from '../config/message-service.config';
import { DatabaseReadinessCheck } from './database-readiness.check';
import { openMessageDatabaseOrExit } from './open-message-database';
import { SqliteDatabase } from './sqlite-database';

@Module({
  providers: [
    {
      provide: SqliteDatabase,
      inject: [messageServiceConfig.KEY],
      // A corrupt file stops the service with one JSON line, not the injector's stack trace.
      useFactory: (config: MessageServiceConfig) => openMessageDatabaseOrExit(config.database),
    },
    DatabaseReadinessCheck,
  ],
  exports: [SqliteDatabase, DatabaseReadinessCheck],
})
export class DatabaseModule {}
