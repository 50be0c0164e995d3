import { MessageResponse } from './message.response';

/** Body of `GET /api/messages`: one page of the caller's inbox, newest first. */
export interface MessageListResponse {
  /** On whose behalf the call came: the token's `sub`. */
  subject: string;
  /** Through whom: the token's `act.sub` (e.g. `user-service`), or null for a direct call. */
  actor: string | null;
  messages: MessageResponse[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
