import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { messageServiceConfig, MessageServiceConfig } from '../config/message-service.config';
import { MessagesRepository, NewMessage } from './messages.repository';

/** The marker that says this database had its demo messages (kept even if they are deleted). */
export const DEMO_MESSAGES_MARKER = 'demo_messages_seeded';

/** The demo inboxes of alice and bob (their `sub` is their username on the Baton auth server). */
export const DEMO_MESSAGES: readonly Omit<NewMessage, 'createdAt'>[] = [
  { from: 'bob', to: 'alice', text: 'Hi Alice! Welcome to Baton.' },
  { from: 'alice', to: 'bob', text: 'Hi Bob, thanks! The token exchange demo works end to end.' },
  { from: 'bob', to: 'alice', text: 'Lunch on Friday? I found a place that takes tokens, not cash.' },
  { from: 'alice', to: 'bob', text: 'Friday works. Bring your refresh token.' },
  { from: 'bob', to: 'alice', text: 'Reminder: your access token expires in five minutes. Mine too.' },
];

/**
 * Stores the demo messages on the first start of a database, never again (even if deleted), and
 * once only when several replicas start at once on one new database.
 */
@Injectable()
export class DemoMessagesSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoMessagesSeeder.name);

  constructor(
    private readonly repository: MessagesRepository,
    @Inject(messageServiceConfig.KEY) private readonly config: Pick<MessageServiceConfig, 'seedDemoData'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemoData) return;
    const start = Date.now() - DEMO_MESSAGES.length * 60_000;
    const messages = DEMO_MESSAGES.map((message, index) => ({ ...message, createdAt: new Date(start + index * 60_000) }));
    if (await this.repository.storeOnce(DEMO_MESSAGES_MARKER, messages)) {
      this.logger.log(`Stored ${DEMO_MESSAGES.length} demo messages for alice and bob`);
    }
  }
}
