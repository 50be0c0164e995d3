import {
  CreateMessageRequest,
  ListMessagesQuery,
  MESSAGE_READ_SCOPE,
  MESSAGE_WRITE_SCOPE,
  MessageListResponse,
  MessageResponse,
  UserIdentity,
} from '@baton/dto';
import { CurrentPrincipal, Principal, Scopes } from '@baton/resource-server';
import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { MessageServiceClient } from './message-service.client';

@Controller('api/users')
export class UsersController {
  constructor(private readonly messages: MessageServiceClient) {}

  /** The caller's identity, read from the verified token. */
  @Get('me')
  @Scopes('user.read')
  me(@CurrentPrincipal() principal: Principal): UserIdentity {
    return {
      sub: principal.sub,
      clientId: principal.clientId,
      scopes: [...principal.scopes],
      act: principal.act,
    };
  }

  /**
   * The caller's messages, from message-service with a token exchanged for it. The query is
   * validated here with message-service's own contract, so a bad one costs no exchange.
   */
  @Get('messages')
  @Scopes(MESSAGE_READ_SCOPE)
  listMessages(@CurrentPrincipal() principal: Principal, @Query() query: ListMessagesQuery): Promise<MessageListResponse> {
    return this.messages.list(principal, query);
  }

  /** Sends a message as the caller, through message-service. */
  @Post('messages')
  @HttpCode(201)
  @Scopes(MESSAGE_WRITE_SCOPE)
  sendMessage(@CurrentPrincipal() principal: Principal, @Body() body: CreateMessageRequest): Promise<MessageResponse> {
    return this.messages.send(principal, body);
  }
}
