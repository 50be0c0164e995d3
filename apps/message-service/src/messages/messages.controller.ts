import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import {
  CreateMessageRequest,
  ListMessagesQuery,
  MESSAGE_READ_SCOPE,
  MESSAGE_WRITE_SCOPE,
  MessageListResponse,
  MessageResponse,
} from '@baton/dto';
import { CurrentPrincipal, Principal, Scopes } from '@baton/resource-server';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ServerResponse } from 'node:http';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@Controller('api/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** The caller's inbox (messages addressed to the token's `sub`), newest first. */
  @ApiOperation({ summary: "The caller's inbox: messages addressed to the token's sub, newest first" })
  @ApiOkResponse({ type: MessageListResponse })
  @Scopes(MESSAGE_READ_SCOPE)
  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListMessagesQuery): Promise<MessageListResponse> {
    return this.messages.list(principal, query);
  }

  /** Sends a message from the token's `sub`. */
  @ApiOperation({ summary: "Sends a message from the token's sub" })
  @ApiCreatedResponse({ type: MessageResponse, description: 'Stored; Location names the new message' })
  @ApiResponse({ status: 507, description: 'insufficient_storage: the database refused the write (disk full, read-only); nothing was stored' })
  @Scopes(MESSAGE_WRITE_SCOPE)
  @Post()
  async send(
    @CurrentPrincipal() principal: Principal,
    @Body() request: CreateMessageRequest,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<MessageResponse> {
    const message = await this.messages.send(principal, request);
    response.setHeader('Location', `/api/messages/${message.id}`);
    return message;
  }

  /** One message, for its sender or recipient only (404 for anyone else). */
  @ApiOperation({ summary: 'One message, for its sender or recipient only' })
  @ApiOkResponse({ type: MessageResponse })
  @ApiNotFoundResponse({ description: 'No such message, or not one of the caller' })
  @Scopes(MESSAGE_READ_SCOPE)
  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<MessageResponse> {
    return this.messages.get(principal, id);
  }
}
