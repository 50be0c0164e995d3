import { BadRequestException } from '@nestjs/common';

/**
 * The opaque `cursor` of `GET /api/messages`: where the previous page ended. Clients pass back
 * what they were given; anything else is a validation error.
 */
export class MessageCursor {
  static encode(seq: number): string {
    return Buffer.from(`m${seq}`, 'utf8').toString('base64url');
  }

  /** The position to continue before; no cursor means "from the newest". */
  static decode(cursor: string | undefined): number {
    if (cursor === undefined) return Number.MAX_SAFE_INTEGER;
    const match = /^m([1-9]\d{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    const seq = match ? Number(match[1]) : Number.NaN;
    if (!Number.isSafeInteger(seq)) {
      throw new BadRequestException({
        error: 'validation_failed',
        message: 'The request is invalid',
        fields: [{ field: 'cursor', problems: ['cursor must be a nextCursor value from a previous page'] }],
      });
    }
    return seq;
  }
}
