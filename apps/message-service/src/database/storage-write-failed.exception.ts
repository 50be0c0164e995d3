import { HttpException } from '@nestjs/common';

/** 507 Insufficient Storage (RFC 4918 §11.5): Nest's HttpStatus has no name for it. */
export const INSUFFICIENT_STORAGE = 507;

/**
 * A write the database refused (disk full, file size limit, I/O error, read-only): nothing was
 * stored, and the client is told so with 507 `insufficient_storage` instead of an
 * acknowledgement. The engine's detail (SQLite's code, PostgreSQL's SQLSTATE) stays in the log
 * line; the answer carries only the stable code.
 */
export class StorageWriteFailedException extends HttpException {
  constructor(readonly detail: string) {
    super(
      {
        error: 'insufficient_storage',
        message: 'The server could not store this; nothing was stored. Try again later.',
      },
      INSUFFICIENT_STORAGE,
    );
    this.name = 'StorageWriteFailedException';
  }
}
