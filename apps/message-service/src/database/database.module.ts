import { Module } from '@nestjs/common';
import { messageServiceConfig, MessageServiceConfig } from '../config/message-service.config';
import { DatabaseReadinessCheck } from './database-readiness.check';
import { SqliteDatabase } from './sqlite-database';

@Module({
  providers: [
    {
      provide: SqliteDatabase,
      inject: [messageServiceConfig.KEY],
      useFactory: (config: MessageServiceConfig) => new SqliteDatabase(config.database),
    },
    DatabaseReadinessCheck,
  ],
  exports: [SqliteDatabase, DatabaseReadinessCheck],
})
export class DatabaseModule {}
