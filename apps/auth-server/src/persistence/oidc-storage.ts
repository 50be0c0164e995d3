import type { AdapterPayload } from 'oidc-provider';

/** A value now (SQLite, synchronous) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/** The columns a model row is looked up by: its id, a session's `uid`, a device code's `userCode`. */
export type LookupColumn = 'id' | 'uid' | 'user_code';

/**
 * Where oidc-provider's models live (sessions, interactions, grants, codes, refresh tokens, replay
 * records: every model it asks an adapter for), one row per model and id. Two engines implement
 * it: OidcStore (SQLite, the embedded mode) and PostgresOidcStore (replicated mode); OidcAdapter
 * puts either behind oidc-provider's `Adapter` interface. The Nest token of the engine in use.
 *
 * Every implementation promises: an expired row is never returned; `consume` is atomic (of two
 * concurrent calls for one row exactly one returns true); a write the database cannot do now
 * throws StorageUnavailableError (503 `temporarily_unavailable`, nothing acknowledged) and makes
 * `writeFailure` say why until a write succeeds again.
 */
export abstract class OidcStorage {
  abstract upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): Awaitable<void>;

  /** The payload (with `consumed`, epoch seconds, once consumed), or undefined when absent or expired. */
  abstract find(model: string, column: LookupColumn, value: string): Awaitable<AdapterPayload | undefined>;

  /**
   * Marks the row consumed if nobody did before. True when this call consumed it; false when it
   * was consumed already (a concurrent redemption won), has expired, or is gone.
   */
  abstract consume(model: string, id: string): Awaitable<boolean>;

  abstract destroy(model: string, id: string): Awaitable<void>;

  /** Deletes every row that belongs to the grant (codes, refresh tokens, ...), whatever the model. */
  abstract revokeByGrantId(grantId: string): Awaitable<void>;

  /** Deletes expired rows and returns how many; undefined when another replica is sweeping now. */
  abstract sweep(): Awaitable<number | undefined>;

  /** Rows that have not expired, of one model or of all (health checks and tests). */
  abstract count(model?: string): Awaitable<number>;

  /** Throws when the database does not answer. */
  abstract ping(): Awaitable<void>;

  /** Writes a probe row: the failure when the database cannot store now, undefined when it can. */
  abstract probeWrite(): Awaitable<string | undefined>;

  /** Why the database cannot write, or undefined when the last write succeeded. */
  abstract get writeFailure(): string | undefined;
}
