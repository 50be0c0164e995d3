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
import { applyDecorators, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { MessageServiceClient } from './message-service.client';

/** The answers of a route that calls message-service with an exchanged token, when that fails. */
const ApiDownstreamFailures = (): MethodDecorator =>
  applyDecorators(
    ApiBadGatewayResponse({ description: 'Token exchange misconfigured, or message-service failed to answer' }),
    ApiServiceUnavailableResponse({ description: 'The auth server or message-service cannot be reached (Retry-After)' }),
  );

@ApiTags('users')
@Controller('api/users')
export class UsersController {
  constructor(private readonly messages: MessageServiceClient) {}

  /** The caller's identity, read from the verified token. */
  @ApiOperation({ summary: 'Who the access token says the caller is' })
  @ApiOkResponse({ type: UserIdentity })
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
  @ApiOperation({ summary: "The caller's messages, from message-service through a token exchange" })
  @ApiOkResponse({ type: MessageListResponse })
  @ApiDownstreamFailures()
  @Get('messages')
  @Scopes(MESSAGE_READ_SCOPE)
  listMessages(@CurrentPrincipal() principal: Principal, @Query() query: ListMessagesQuery): Promise<MessageListResponse> {
    return this.messages.list(principal, query);
  }

  /** Sends a message as the caller, through message-service. */
  @ApiOperation({ summary: 'Sends a message as the caller, through message-service' })
  @ApiCreatedResponse({ type: MessageResponse })
  @ApiDownstreamFailures()
  @Post('messages')
  @HttpCode(201)
  @Scopes(MESSAGE_WRITE_SCOPE)
  sendMessage(@CurrentPrincipal() principal: Principal, @Body() body: CreateMessageRequest): Promise<MessageResponse> {
    return this.messages.send(principal, body);
  }
}
