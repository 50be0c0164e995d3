import { ApiProperty } from '@nestjs/swagger';
import { MessageResponse } from './message.response';

/** Body of `GET /api/messages`: one page of the caller's inbox, newest first. */
export class MessageListResponse {
  /** On whose behalf the call came: the token's `sub`. */
  @ApiProperty({ description: "On whose behalf the call came: the token's sub", example: 'alice' })
  subject!: string;

  /** Through whom: the token's `act.sub` (e.g. `user-service`), or null for a direct call. */
  @ApiProperty({
    description: "Through whom: the token's act.sub, or null for a direct call",
    type: String,
    nullable: true,
    example: 'user-service',
  })
  actor!: string | null;

  @ApiProperty({ type: () => [MessageResponse], description: 'Newest first' })
  messages!: MessageResponse[];

  /** Pass as `cursor` for the next (older) page; null on the last page. */
  @ApiProperty({ description: 'Pass as cursor for the next (older) page; null on the last page', type: String, nullable: true })
  nextCursor!: string | null;
}
