import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { InjectAppConfig } from '@baton/config';
import { describePostgresError } from '@baton/postgres';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { AbuseLimitsUnavailableError } from './abuse-limits-unavailable.error';
import type { FixedWindowLimiter } from './fixed-window-limiter';
import { RateLimiterFactory } from './rate-limiter.factory';

/** The answer to "may this password be tried now?". */
export type LoginAttempt =
  | {
      readonly allowed: true;
      /** The password was right: the attempt is given back (the username's failures are cleared). */
      succeeded(): Promise<void>;
    }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Limits failed sign-ins per username and per client address (AUTH_SERVER_LOGIN_*), the
 * rate-limiter-flexible login recipe done as reserve-then-give-back: an attempt takes its place
 * in both counts *before* any password work, and gives it back only when the password was right.
 * So concurrent guesses cannot all pass a check that is counted only once they have failed: of
 * any number sent at once, at most the limit are tried.
 *
 * Usernames are counted whether or not they exist, and a refused attempt does no password work,
 * so a refusal looks and takes the same for every username: the limit tells nothing about who exists.
 *
 * With the counts in PostgreSQL (replicated mode) a store that fails during the check refuses the
 * attempt with AbuseLimitsUnavailableError (503 temporarily_unavailable, Retry-After): a guess that
 * cannot be counted is not tried.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);
  private readonly perUser: FixedWindowLimiter | undefined;
  private readonly perAddress: FixedWindowLimiter | undefined;

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig, limiters: RateLimiterFactory) {
    const window = config.loginFailureWindowSeconds;
    this.perUser = limiters.create('login-user', config.loginMaxFailuresPerUser, window);
    this.perAddress = limiters.create('login-address', config.loginMaxFailuresPerAddress, window);
  }

  /** Takes one attempt for `username` from `address`, or says how long to wait (Retry-After). */
  async reserve(username: string, address: string): Promise<LoginAttempt> {
    const user = userKey(username);
    const counts = [
      [this.perUser, user],
      [this.perAddress, address],
    ].filter((count): count is [FixedWindowLimiter, string] => count[0] !== undefined);
    const outcomes = await Promise.allSettled(counts.map(([limiter, key]) => take(limiter, key)));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) {
      // Fail closed: what was taken stays taken (the store is failing anyway), nothing is tried.
      this.logger.error({ event: 'login_limits_unavailable', reason: describePostgresError(failure.reason) });
      throw new AbuseLimitsUnavailableError();
    }
    const waits = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined)).filter((wait): wait is number => wait !== undefined);
    if (waits.length > 0) {
      // A refused attempt is not made: it gives back everything it took, so it neither counts as a
      // failure nor pushes anyone's limit further.
      await this.giveBack(() => Promise.all(counts.map(([limiter, key]) => limiter.reward(key))));
      return { allowed: false, retryAfterSeconds: Math.max(...waits) };
    }
    return {
      allowed: true,
      succeeded: () =>
        // The username's failures are cleared; the address's are not (it may be shared with an attacker).
        this.giveBack(async () => {
          await this.perUser?.delete(user);
          await this.perAddress?.reward(address);
        }),
    };
  }

  /**
   * Gives counts back. A store that fails here is logged, not turned into an error: the check
   * already happened, and a count left too high errs on the safe side.
   */
  private async giveBack(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn({ event: 'login_limits_give_back_failed', reason: describePostgresError(error) });
    }
  }
}

/** `undefined` when `key` had a point left, else the seconds until its window ends. */
async function take(limiter: FixedWindowLimiter, key: string): Promise<number | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (refusal) {
    // The library rejects with its result when the limit is reached; anything else is a store failure.
    if (!(refusal instanceof RateLimiterRes)) throw refusal;
    return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
  }
}

/** One count for every spelling of a name: case and Unicode variants do not buy more attempts. */
function userKey(username: string): string {
  return username.trim().normalize('NFKC').toLowerCase();
}
