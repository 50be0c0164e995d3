import {
  CreateMessageRequest,
  ListMessagesQuery,
  MESSAGE_READ_SCOPE,
  MESSAGE_WRITE_SCOPE,
  MessageListResponse,
  MessageResponse,
} from '@baton/dto';
import { Principal } from '@baton/resource-server';
import { DownstreamClient, DownstreamClients, DownstreamResponse } from '@baton/token-exchange';
import { HttpException, Injectable } from '@nestjs/common';

/** Name of the message-service downstream in the token-exchange configuration. */
export const MESSAGE_SERVICE = 'messageService';

const STABLE_CODE = /^[a-z][a-z0-9_]*$/;

/**
 * message-service, called for the current caller with a token exchanged for it (audience
 * message-service, only the scope the call needs). The caller's own token never goes there.
 */
@Injectable()
export class MessageServiceClient {
  private readonly client: DownstreamClient;

  constructor(downstreams: DownstreamClients) {
    this.client = downstreams.get(MESSAGE_SERVICE);
  }

  /** `GET /api/messages` for the caller: their messages, newest first. */
  async list(principal: Principal, query: ListMessagesQuery): Promise<MessageListResponse> {
    return answer(
      await this.client.request<MessageListResponse>({
        subjectToken: principal.token,
        path: '/api/messages',
        query: { limit: query.limit, cursor: query.cursor },
        scope: MESSAGE_READ_SCOPE,
      }),
    );
  }

  /** `POST /api/messages` as the caller (message-service validates and stores it). */
  async send(principal: Principal, body: CreateMessageRequest): Promise<MessageResponse> {
    return answer(
      await this.client.request<MessageResponse>({
        subjectToken: principal.token,
        method: 'POST',
        path: '/api/messages',
        body: { to: body.to, text: body.text },
        scope: MESSAGE_WRITE_SCOPE,
      }),
    );
  }
}

/**
 * A 2xx body goes back to the caller as is. A refusal of the caller's request (400 validation,
 * 404) is passed on with message-service's `{ error, message }`. A 403 means the exchanged token
 * lacked a scope this service asked for: a configuration problem, so 502.
 */
function answer<T>(response: DownstreamResponse<T>): T {
  if (response.status >= 200 && response.status < 300) return response.data;
  const body = response.data as { error?: unknown; message?: unknown } | undefined;
  const passable =
    response.status !== 403 &&
    typeof body?.error === 'string' &&
    STABLE_CODE.test(body.error) &&
    typeof body.message === 'string';
  if (passable) throw new HttpException(body, response.status);
  throw new HttpException(
    { error: 'downstream_failed', message: 'message-service failed to answer' },
    502,
  );
}
