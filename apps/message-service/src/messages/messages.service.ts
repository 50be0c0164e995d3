import { Injectable, NotFoundException } from '@nestjs/common';
import {
  CreateMessageRequest,
  ListMessagesQuery,
  MESSAGES_PAGE_DEFAULT_LIMIT,
  MessageListResponse,
  MessageResponse,
} from '@baton/dto';
import { Principal } from '@baton/resource-server';
import { Message } from './message';
import { MessageCursor } from './message-cursor';
import { MessagesRepository } from './messages.repository';

@Injectable()
export class MessagesService {
  constructor(
    private readonly repository: MessagesRepository,
    private readonly cursors: MessageCursor,
  ) {}

  /** The caller's inbox, newest first, one page at a time: one query. */
  async list(principal: Principal, query: ListMessagesQuery): Promise<MessageListResponse> {
    const limit = query.limit ?? MESSAGES_PAGE_DEFAULT_LIMIT;
    const before = this.cursors.decode(query.cursor, principal.sub);
    // One row more than asked tells whether there is a next page.
    const rows = await this.repository.inbox(principal.sub, before, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      subject: principal.sub,
      actor: principal.act?.sub ?? null,
      messages: page.map(toResponse),
      nextCursor: rows.length > limit && last ? this.cursors.encode(last.seq, principal.sub) : null,
    };
  }

  /** Stores a message from the caller: resolves once it is committed (one statement). */
  async send(principal: Principal, request: CreateMessageRequest): Promise<MessageResponse> {
    return toResponse(await this.repository.insert({ from: principal.sub, to: request.to, text: request.text }));
  }

  /** A message the caller sent or received; anyone else is told it does not exist. */
  async get(principal: Principal, id: string): Promise<MessageResponse> {
    const message = await this.repository.findById(id);
    if (!message || (message.from !== principal.sub && message.to !== principal.sub)) {
      throw new NotFoundException({ error: 'not_found', message: 'No such message' });
    }
    return toResponse(message);
  }
}

function toResponse(message: Message): MessageResponse {
  return { id: message.id, from: message.from, to: message.to, text: message.text, createdAt: message.createdAt };
}
