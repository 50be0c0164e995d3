import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Principal, Scopes } from '@baton/resource-server';
import { DownstreamClients } from '@baton/token-exchange';
import { MESSAGE_SERVICE } from './downstreams';

/** message-service's answer to `GET /api/messages`, the fields this example reads. */
export interface MessageList {
  subject: string;
  actor: string | null;
  messages: unknown[];
}

@Controller('api/inbox')
export class InboxController {
  constructor(private readonly downstreams: DownstreamClients) {}

  /**
   * The caller's inbox at message-service, fetched with a token exchanged for message-service:
   * the caller's own token (audience adopter-service) is never forwarded.
   */
  @Scopes('message.read')
  @Get()
  async inbox(@CurrentPrincipal() principal: Principal): Promise<MessageList> {
    const answer = await this.downstreams.get(MESSAGE_SERVICE).request<MessageList>({
      subjectToken: principal.token,
      method: 'GET',
      path: '/api/messages',
    });
    return answer.data;
  }
}
