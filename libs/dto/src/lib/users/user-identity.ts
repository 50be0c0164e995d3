import { ApiProperty } from '@nestjs/swagger';
import { ActClaim } from '../token-exchange/act-claim';

/** `GET /api/users/me` of user-service: who the caller's access token says they are. */
export class UserIdentity {
  /** The subject: the end user, or the client itself for a client_credentials token. */
  @ApiProperty({ description: 'The end user, or the client itself for a client_credentials token', example: 'alice' })
  sub!: string;

  /** The client the token was issued to. */
  @ApiProperty({ description: 'The client the token was issued to', example: 'demo-app' })
  clientId!: string;

  /** Granted scopes. */
  @ApiProperty({ type: [String], example: ['user.read', 'message.read'] })
  scopes!: string[];

  /** The actor chain when a service acts for the subject, else null. */
  @ApiProperty({ type: () => ActClaim, nullable: true, description: 'Who acts for the subject (RFC 8693 act), else null' })
  act!: ActClaim | null;
}
