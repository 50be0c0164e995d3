/** Scopes of message-service. */
export const MESSAGE_READ_SCOPE = 'message.read';
export const MESSAGE_WRITE_SCOPE = 'message.write';

/** Longest message text, in characters (UTF-16 code units). */
export const MESSAGE_TEXT_MAX_LENGTH = 2000;
/** Longest recipient name. */
export const MESSAGE_RECIPIENT_MAX_LENGTH = 200;
/** Page size of `GET /api/messages`: default and largest allowed `limit`. */
export const MESSAGES_PAGE_DEFAULT_LIMIT = 20;
export const MESSAGES_PAGE_MAX_LIMIT = 100;
