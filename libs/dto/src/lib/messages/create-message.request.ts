import { IsString, Length, Matches } from 'class-validator';
import { MESSAGE_RECIPIENT_MAX_LENGTH, MESSAGE_TEXT_MAX_LENGTH } from './messages.constants';

/** Body of `POST /api/messages`. The sender is the token's `sub`, never a field. */
export class CreateMessageRequest {
  /** The recipient's `sub` (a username such as `bob`). */
  @IsString()
  @Length(1, MESSAGE_RECIPIENT_MAX_LENGTH)
  @Matches(/^[^\s\p{Cc}]+$/u, { message: 'to must not contain spaces or control characters' })
  to!: string;

  @IsString()
  @Length(1, MESSAGE_TEXT_MAX_LENGTH)
  @Matches(/\S/, { message: 'text must not be blank' })
  text!: string;
}
