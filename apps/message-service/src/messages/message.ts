/** A stored message. */
export interface Message {
  /** Insertion order; what "newest first" and cursors are based on. Never shown to clients. */
  readonly seq: number;
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly createdAt: string;
}
