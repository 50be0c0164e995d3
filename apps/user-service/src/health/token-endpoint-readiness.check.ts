import { AuthServerUnavailableError, TokenExchangeMisconfiguredError, TokenExchangeService } from '@baton/token-exchange';
import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

/** A token endpoint that answered is trusted to be there for this long before it is asked again. */
export const TOKEN_ENDPOINT_CHECK_TTL_MS = 30_000;

/**
 * Readiness of user-service's token exchange: the auth server's token endpoint answers. A success
 * is remembered for 30 s, so probes every few seconds do not become a steady load (and log lines)
 * on the auth server; a failure is asked again at the next probe. The 30 s run on the monotonic
 * clock: a wall clock stepped back must not keep a success for longer.
 */
@Injectable()
export class TokenEndpointReadinessCheck {
  /** `performance.now()` of the last success. */
  private answeredAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly tokenExchange: TokenExchangeService) {}

  async check(): Promise<HealthIndicatorResult<'tokenEndpoint'>> {
    if (performance.now() - this.answeredAt < TOKEN_ENDPOINT_CHECK_TTL_MS) return { tokenEndpoint: { status: 'up' } };
    try {
      await this.tokenExchange.checkTokenEndpoint();
      this.answeredAt = performance.now();
      return { tokenEndpoint: { status: 'up' } };
    } catch (error) {
      return { tokenEndpoint: { status: 'down', message: `the token endpoint cannot be reached (${reasonOf(error)})` } };
    }
  }
}

/** A short, stable reason for the probe's answer: the error's code, never its detail. */
function reasonOf(error: unknown): string {
  if (error instanceof AuthServerUnavailableError) return error.reason;
  if (error instanceof TokenExchangeMisconfiguredError) return error.oauthError;
  return error instanceof Error ? error.name : 'unknown';
}
