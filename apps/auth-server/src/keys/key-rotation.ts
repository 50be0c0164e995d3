import { SigningAlgorithm } from '../config/auth-server.config';
import { KeyMaterialError } from './key-material.error';
import { generateSigningKey, SigningKey } from './signing-key';

/**
 * When a key of the keys file starts signing and when it stops being published. Keys without an
 * entry sign as soon as they are loaded and stay published until a rotation schedules their end.
 */
export interface KeyScheduleEntry {
  /** Epoch milliseconds; before it the key is published (so verifiers learn it) but does not sign. */
  readonly activateAt?: number;
  /** Epoch milliseconds; from then on the key is neither used nor published. */
  readonly retireAt?: number;
}

export type KeySchedule = ReadonlyMap<string, KeyScheduleEntry>;

/** The keys of a keys file in file order (newest first after a rotation) and their schedule. */
export interface KeySet {
  readonly keys: readonly SigningKey[];
  readonly schedule: KeySchedule;
}

/** What the server uses at a given moment. */
export interface ActiveKeys {
  /** The key that signs, first; then every other published key (they verify tokens in flight). */
  readonly keys: readonly SigningKey[];
  /** When the selection changes next by the clock alone (an activation or a retirement), if ever. */
  readonly nextChangeAt: number | undefined;
}

const isPublished = (entry: KeyScheduleEntry | undefined, now: number): boolean => entry?.retireAt === undefined || entry.retireAt > now;
const isActive = (entry: KeyScheduleEntry | undefined, now: number): boolean => entry?.activateAt === undefined || entry.activateAt <= now;

/**
 * The signing key is the first key of the file that has the configured algorithm, is active and
 * is not retired; every key not retired is published, pending ones included (published before use,
 * so resource servers have it before the first token signed with it arrives). `undefined` when no
 * key can sign.
 */
export function selectActiveKeys(keySet: KeySet, algorithm: SigningAlgorithm, now: number): ActiveKeys | undefined {
  const published = keySet.keys.filter((key) => isPublished(keySet.schedule.get(key.kid), now));
  const signing = published.find((key) => key.alg === algorithm && isActive(keySet.schedule.get(key.kid), now));
  if (signing === undefined) return undefined;
  const moments = [...keySet.schedule.values()]
    .flatMap((entry) => [entry.activateAt, entry.retireAt])
    .filter((moment): moment is number => moment !== undefined && moment > now);
  return {
    keys: [signing, ...published.filter((key) => key !== signing)],
    nextChangeAt: moments.length === 0 ? undefined : Math.min(...moments),
  };
}

export interface RotationOptions {
  readonly algorithm: SigningAlgorithm;
  readonly now: number;
  /** How long the new key is published before it signs: at least the resource servers' JWKS refetch interval. */
  readonly activationDelayMs: number;
  /** The longest lifetime of anything the old key signed (access and ID tokens) plus clock tolerance. */
  readonly retireAfterMs: number;
}

export interface Rotation {
  readonly keySet: KeySet;
  readonly added: SigningKey;
  /** The key that signed until now, retired at `retireAt`. */
  readonly previous: SigningKey | undefined;
  readonly activateAt: number;
  readonly retireAt: number;
  /** Keys whose retirement time has passed, dropped from the file. */
  readonly removed: readonly string[];
}

/**
 * Adds a new key of `algorithm` in front of the file: published now, signing after the activation
 * delay. The key that signs now keeps signing until then and is retired once everything it signed
 * has expired (activation + longest token lifetime). Other keys keep their schedule; keys already
 * retired are removed. A pending key from an earlier, not yet active rotation is replaced.
 */
export function rotateKeySet(keySet: KeySet, options: RotationOptions): Rotation {
  const { now, algorithm } = options;
  const current = selectActiveKeys(keySet, algorithm, now)?.keys[0];
  const activateAt = now + options.activationDelayMs;
  const retireAt = activateAt + options.retireAfterMs;
  const removed: string[] = [];
  const kept = keySet.keys.filter((key) => {
    const entry = keySet.schedule.get(key.kid);
    const retired = !isPublished(entry, now);
    const pending = !isActive(entry, now);
    if (retired || pending) removed.push(key.kid);
    return !retired && !pending;
  });
  const added = generateSigningKey(algorithm);
  const schedule = new Map<string, KeyScheduleEntry>();
  for (const key of kept) {
    const entry = keySet.schedule.get(key.kid);
    // The signing key signs until the new one activates: everything it signs expires by retireAt.
    if (key === current) schedule.set(key.kid, { ...entry, retireAt });
    else if (entry !== undefined) schedule.set(key.kid, entry);
  }
  schedule.set(added.kid, { activateAt });
  return { keySet: { keys: [added, ...kept], schedule }, added, previous: current, activateAt, retireAt, removed };
}

/** The `schedule` member of a keys file: `{ "<kid>": { "activateAt": "<ISO>", "retireAt": "<ISO>" } }`. */
export function parseKeySchedule(value: unknown, kids: readonly string[], where: string): KeySchedule {
  const schedule = new Map<string, KeyScheduleEntry>();
  if (value === undefined) return schedule;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KeyMaterialError(`${where} "schedule" must be an object of kid → { activateAt, retireAt }`);
  }
  for (const [kid, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!kids.includes(kid)) throw new KeyMaterialError(`${where} "schedule" names kid ${JSON.stringify(kid)}, which has no key`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new KeyMaterialError(`${where} "schedule".${kid} must be { activateAt, retireAt }`);
    }
    const { activateAt, retireAt, ...unknown } = raw as Record<string, unknown>;
    const extra = Object.keys(unknown)[0];
    if (extra !== undefined) throw new KeyMaterialError(`${where} "schedule".${kid} has an unknown member ${JSON.stringify(extra)}`);
    schedule.set(kid, {
      ...(activateAt === undefined ? {} : { activateAt: parseMoment(activateAt, `${where} "schedule".${kid}.activateAt`) }),
      ...(retireAt === undefined ? {} : { retireAt: parseMoment(retireAt, `${where} "schedule".${kid}.retireAt`) }),
    });
  }
  return schedule;
}

/** The JSON of a keys file: private JWKs in order, and the schedule when there is one. */
export function serializeKeySet(keySet: KeySet): string {
  const schedule: Record<string, { activateAt?: string; retireAt?: string }> = {};
  for (const [kid, entry] of keySet.schedule) {
    schedule[kid] = {
      ...(entry.activateAt === undefined ? {} : { activateAt: new Date(entry.activateAt).toISOString() }),
      ...(entry.retireAt === undefined ? {} : { retireAt: new Date(entry.retireAt).toISOString() }),
    };
  }
  const content = { keys: keySet.keys.map((key) => key.privateJwk), ...(keySet.schedule.size === 0 ? {} : { schedule }) };
  return `${JSON.stringify(content, null, 2)}\n`;
}

function parseMoment(value: unknown, where: string): number {
  const moment = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(moment)) throw new KeyMaterialError(`${where} must be an ISO 8601 date-time`);
  return moment;
}
