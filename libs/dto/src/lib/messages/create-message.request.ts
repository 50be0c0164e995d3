import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { MESSAGE_RECIPIENT_MAX_LENGTH, MESSAGE_TEXT_MAX_LENGTH } from './messages.constants';
import { WELL_FORMED_TEXT } from './well-formed-text';

/** Body of `POST /api/messages`. The sender is the token's `sub`, never a field. */
export class CreateMessageRequest {
  /** The recipient's `sub` (a username such as `bob`). */
  @ApiProperty({
    description: "The recipient's sub (a username such as bob)",
    example: 'bob',
    minLength: 1,
    maxLength: MESSAGE_RECIPIENT_MAX_LENGTH,
  })
  @IsString()
  @Length(1, MESSAGE_RECIPIENT_MAX_LENGTH)
  @Matches(/^[^\s\p{Cc}]+$/u, { message: 'to must not contain spaces or control characters' })
  @Matches(WELL_FORMED_TEXT, { message: 'to must be valid Unicode: no lone surrogate (\\ud800-\\udfff)' })
  to!: string;

  @ApiProperty({ description: 'The message, not blank', example: 'Lunch at noon?', minLength: 1, maxLength: MESSAGE_TEXT_MAX_LENGTH })
  @IsString()
  @Length(1, MESSAGE_TEXT_MAX_LENGTH)
  @Matches(/\S/, { message: 'text must not be blank' })
  @Matches(WELL_FORMED_TEXT, { message: 'text must be valid Unicode: no lone surrogate (\\ud800-\\udfff)' })
  text!: string;
}
