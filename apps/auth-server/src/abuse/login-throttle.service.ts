import { Injectable } from '@nestjs/common';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { FailureCounter } from './failure-counter';

/**
 * Limits failed sign-ins per username and per client address (AUTH_SERVER_LOGIN_*). Usernames are
 * counted whether or not they exist, and the check comes before any password work, so a refused
 * attempt looks and takes the same for every username: the limit tells nothing about who exists.
 */
@Injectable()
export class LoginThrottle {
  private readonly perUser: FailureCounter;
  private readonly perAddress: FailureCounter;

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig) {
    const windowMs = config.loginFailureWindowSeconds * 1000;
    this.perUser = new FailureCounter(config.loginMaxFailuresPerUser, windowMs);
    this.perAddress = new FailureCounter(config.loginMaxFailuresPerAddress, windowMs);
  }

  /** Seconds this attempt has to wait (Retry-After), or `undefined` when it may go ahead. */
  blockedFor(username: string, address: string, now = Date.now()): number | undefined {
    const waits = [this.perUser.blockedFor(userKey(username), now), this.perAddress.blockedFor(address, now)].filter(
      (wait): wait is number => wait !== undefined,
    );
    return waits.length === 0 ? undefined : Math.max(...waits);
  }

  recordFailure(username: string, address: string, now = Date.now()): void {
    this.perUser.recordFailure(userKey(username), now);
    this.perAddress.recordFailure(address, now);
  }

  /** A successful sign-in clears the username's failures (not the address's: it may be shared by an attacker). */
  recordSuccess(username: string): void {
    this.perUser.reset(userKey(username));
  }
}

/** One counter for every spelling of a name: case and Unicode variants do not buy more attempts. */
function userKey(username: string): string {
  return username.trim().normalize('NFKC').toLowerCase();
}
