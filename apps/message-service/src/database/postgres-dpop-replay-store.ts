import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { DpopReplayStore } from '@baton/resource-server';
import { describePostgresError } from '@baton/postgres';
import { DatabaseUnavailableException } from './database-unavailable.exception';
import { classifyPostgresFailure } from './postgres-failure';

/**
 * One statement: a new key is inserted; a key already there is replaced only when its record has
 * expired. A row comes back exactly when the proof is used for the first time (within its window),
 * and of two replicas inserting one key at once PostgreSQL lets one win (the other's INSERT waits
 * for the first commit, then finds the conflict).
 */
const CLAIM = `
  INSERT INTO dpop_proofs (proof_hash, expires_at) VALUES ($1, to_timestamp($2::double precision / 1000))
  ON CONFLICT (proof_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE dpop_proofs.expires_at <= now()
  RETURNING 1`;
const SWEEP = 'DELETE FROM dpop_proofs WHERE expires_at <= now()';
/** Expired records are deleted at most this often, by whichever request comes after it. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The DPoP proofs message-service has accepted, on its PostgreSQL database, so that replicas share
 * them: a proof accepted by one replica is refused by every other. Only a hash of the proof key's
 * thumbprint and the proof's `jti` is stored (`@baton/resource-server` makes it), with its expiry.
 */
export class PostgresDpopReplayStore implements DpopReplayStore {
  private readonly logger = new Logger(PostgresDpopReplayStore.name);
  private nextSweep = 0;

  constructor(private readonly pool: Pool) {}

  async claim(key: string, expiresAt: number): Promise<boolean> {
    this.sweepNowAndThen();
    try {
      const { rowCount } = await this.pool.query(CLAIM, [key, expiresAt]);
      return rowCount === 1;
    } catch (error) {
      // Unknown whether the proof was recorded: refuse the call (503) rather than risk a replay.
      if (classifyPostgresFailure(error) === undefined) throw error;
      const detail = describePostgresError(error);
      this.logger.error(`the message database cannot be reached, a DPoP proof cannot be checked for replay: ${detail}`);
      throw new DatabaseUnavailableException(detail);
    }
  }

  private sweepNowAndThen(): void {
    const now = Date.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    this.pool.query(SWEEP).catch((error: unknown) => this.logger.warn(`expired DPoP proof records not deleted: ${describePostgresError(error)}`));
  }
}
