import { ApiProperty } from '@nestjs/swagger';

/** A stored message as message-service answers it. */
export class MessageResponse {
  @ApiProperty({ example: 'msg_7yFh2kQ9' })
  id!: string;

  /** The sender's `sub`. */
  @ApiProperty({ description: "The sender's sub", example: 'alice' })
  from!: string;

  /** The recipient's `sub`. */
  @ApiProperty({ description: "The recipient's sub", example: 'bob' })
  to!: string;

  @ApiProperty({ example: 'Lunch at noon?' })
  text!: string;

  /** ISO 8601 time the message was stored. */
  @ApiProperty({ description: 'When the message was stored (ISO 8601)', format: 'date-time' })
  createdAt!: string;
}
