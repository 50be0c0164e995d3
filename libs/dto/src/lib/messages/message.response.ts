/** A stored message as message-service answers it. */
export interface MessageResponse {
  id: string;
  /** The sender's `sub`. */
  from: string;
  /** The recipient's `sub`. */
  to: string;
  text: string;
  /** ISO 8601 time the message was stored. */
  createdAt: string;
}
