import { BadRequestException } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MessagesRepository } from './messages.repository';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEQ_BYTES = 8;
/** base64url of iv + sealed seq + tag: every cursor has this length, whatever it points at. */
export const MESSAGE_CURSOR_LENGTH = Math.ceil(((IV_BYTES + SEQ_BYTES + TAG_BYTES) * 4) / 3);

/**
 * The opaque `cursor` of `GET /api/messages`: where the previous page ended, sealed (AES-256-GCM,
 * a random nonce per cursor, the recipient as associated data) with a key kept in the database.
 * A plain row number would tell every user how many messages the whole service holds and how
 * fast it grows; a sealed one tells nothing, differs at every call, and only its own inbox takes
 * it back. Anything else (tampered, another user's, made up) is a validation error.
 */
export class MessageCursor {
  constructor(private readonly key: Buffer) {}

  /** Cursors sealed with the key kept in `repository`'s database (made there on its first start). */
  static async load(repository: MessagesRepository): Promise<MessageCursor> {
    return new MessageCursor(await repository.cursorKey());
  }

  encode(seq: number, recipient: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(recipient, 'utf8'));
    const position = Buffer.alloc(SEQ_BYTES);
    position.writeBigUInt64BE(BigInt(seq));
    return Buffer.concat([iv, cipher.update(position), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  }

  /** The position to continue before; no cursor means "from the newest". */
  decode(cursor: string | undefined, recipient: string): number {
    if (cursor === undefined) return Number.MAX_SAFE_INTEGER;
    const seq = this.open(cursor, recipient);
    if (seq === undefined) {
      throw new BadRequestException({
        error: 'validation_failed',
        message: 'The request is invalid',
        fields: [{ field: 'cursor', problems: ['cursor must be a nextCursor value from a previous page'] }],
      });
    }
    return seq;
  }

  private open(cursor: string, recipient: string): number | undefined {
    const sealed = Buffer.from(cursor, 'base64url');
    if (sealed.length !== IV_BYTES + SEQ_BYTES + TAG_BYTES || sealed.toString('base64url') !== cursor) return undefined;
    try {
      const decipher = createDecipheriv(ALGORITHM, this.key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(recipient, 'utf8'));
      decipher.setAuthTag(sealed.subarray(IV_BYTES + SEQ_BYTES));
      const position = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, IV_BYTES + SEQ_BYTES)), decipher.final()]);
      const seq = Number(position.readBigUInt64BE());
      return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
    } catch {
      return undefined; // the tag does not match: tampered, another inbox's, or made up
    }
  }
}
