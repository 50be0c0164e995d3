import { Module } from '@nestjs/common';
import { DpopReplayStore, InMemoryDpopReplayStore } from '@baton/resource-server';
import { messageServiceConfig, MessageServiceConfig } from '../config/message-service.config';
import { MessagesRepository } from '../messages/messages.repository';
import { DatabaseReadinessCheck } from './database-readiness.check';
import { openMessagesRepositoryOrExit } from './open-message-database';
import { PostgresMessagesRepository } from './postgres-messages.repository';

/** Injection token of the store of accepted DPoP proofs (`DpopReplayStore`). */
export const DPOP_REPLAY_STORE = Symbol('DPOP_REPLAY_STORE');

@Module({
  providers: [
    {
      provide: MessagesRepository,
      inject: [messageServiceConfig.KEY],
      // SQLite or PostgreSQL by MESSAGE_SERVICE_DATABASE; an unusable database stops the service with one JSON line.
      useFactory: (config: MessageServiceConfig) => openMessagesRepositoryOrExit(config),
    },
    {
      provide: DPOP_REPLAY_STORE,
      inject: [MessagesRepository],
      // PostgreSQL: on the database, shared by replicas. SQLite runs one process: its memory is enough.
      useFactory: (repository: MessagesRepository): DpopReplayStore =>
        repository instanceof PostgresMessagesRepository ? repository.dpopReplayStore() : new InMemoryDpopReplayStore(),
    },
    DatabaseReadinessCheck,
  ],
  exports: [MessagesRepository, DatabaseReadinessCheck, DPOP_REPLAY_STORE],
})
export class DatabaseModule {}
