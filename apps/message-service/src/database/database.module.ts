import { Module } from '@nestjs/common';
import { messageServiceConfig, MessageServiceConfig } from '../config/message-service.config';
import { SqliteDatabase } from './sqlite-database';

@Module({
  providers: [
    {
      provide: SqliteDatabase,
      inject: [messageServiceConfig.KEY],
      useFactory: (config: MessageServiceConfig) => new SqliteDatabase(config.database),
    },
  ],
  exports: [SqliteDatabase],
})
export class DatabaseModule {}
