import 'reflect-metadata'; // @Type() reads design-time metadata as the class is declared: load the polyfill first

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MESSAGES_PAGE_DEFAULT_LIMIT, MESSAGES_PAGE_MAX_LIMIT } from './messages.constants';

/** Query of `GET /api/messages`: page size and the `nextCursor` of the previous page. */
export class ListMessagesQuery {
  @ApiPropertyOptional({
    description: 'Messages per page',
    type: 'integer',
    minimum: 1,
    maximum: MESSAGES_PAGE_MAX_LIMIT,
    default: MESSAGES_PAGE_DEFAULT_LIMIT,
  })
  @IsOptional()
  // Decimal digits only: Number() would also take `0x10`, `1e2`, ` 5` or `0b1`, and a limit
  // is a count a person types. Anything else stays a string and fails @IsInt, naming the field.
  @Transform(({ value }) => (typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value))
  @IsInt({ message: 'limit must be a whole number written in decimal digits' })
  @Min(1)
  @Max(MESSAGES_PAGE_MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page', pattern: '^[A-Za-z0-9_-]{1,64}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}
