import 'reflect-metadata'; // @Type() reads design-time metadata as the class is declared: load the polyfill first

import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MESSAGES_PAGE_MAX_LIMIT } from './messages.constants';

/** Query of `GET /api/messages`: page size and the `nextCursor` of the previous page. */
export class ListMessagesQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MESSAGES_PAGE_MAX_LIMIT)
  limit?: number;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}
