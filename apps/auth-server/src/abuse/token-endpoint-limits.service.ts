import { Injectable, Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client, Provider } from 'oidc-provider';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { InjectAppConfig } from '@baton/config';
import { describePostgresError } from '@baton/postgres';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { InjectOidcProvider, OIDC_ROUTES } from '../oidc/oidc.constants';
import { beforeEveryGrant, onGrantTypeCheck } from '../oidc/provider-internals';
import { AbuseLimitsUnavailableError, LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS } from './abuse-limits-unavailable.error';
import { clientAddress } from './client-address';
import type { FixedWindowLimiter } from './fixed-window-limiter';
import { RateLimiterFactory } from './rate-limiter.factory';
import type { TokenBudget } from './token-budget';
import { TokenRateLimitedError } from './token-rate-limited.error';

type KoaMiddleware = Parameters<Provider['use']>[0];
type KoaContext = Parameters<KoaMiddleware>[0];
type KoaNext = Parameters<KoaMiddleware>[1];

/**
 * The endpoints where clients authenticate (RFC 6749 §2.3), so where secrets can be guessed: the
 * failed-authentication limit covers all three, the request budget the token endpoint only.
 */
const CLIENT_AUTHENTICATING_PATHS: ReadonlySet<string> = new Set([OIDC_ROUTES.token, OIDC_ROUTES.introspection, OIDC_ROUTES.revocation]);

/** What the token endpoint knows about the request being answered. */
interface TokenRequest {
  readonly address: string;
  /** Whether this request has taken from a client budget already (one request, one token), or takes none. */
  charged: boolean;
  /** Whether the request still holds the failed-authentication point it reserved for its address. */
  reserved: boolean;
  retryAfterSeconds?: number;
  /**
   * The shared budget's answer to this request's charge (replicated mode): started when the client
   * was authenticated, waited for right before the grant. Never rejects.
   */
  pendingCharge?: { readonly clientId: string; readonly outcome: Promise<ChargeOutcome> };
}

/** A charge's answer: granted (`wait` undefined), refused for `wait` seconds, or the store failed. */
type ChargeOutcome = { readonly failed: false; readonly wait: number | undefined } | { readonly failed: true; readonly reason: string };

/**
 * Abuse limits of the token endpoint, both answered `429 temporarily_unavailable` with `Retry-After`:
 *
 * - Failed client authentications per source address (AUTH_SERVER_CLIENT_AUTH_*): an address
 *   that sent too many wrong secrets or unknown client ids is refused before any client lookup.
 *   Introspection and revocation authenticate clients too, so they count and are refused alike.
 *   Each request reserves its point *before* oidc-provider checks the credentials and gives it
 *   back once the client is authenticated (or the request ends without `invalid_client`): counted
 *   only after the 401, wrong secrets sent at once were all checked before the first was counted,
 *   so a sender's concurrency overshot the limit. Now, of any number sent at once, at most the
 *   limit reach the check, the way sign-in attempts are reserved (LoginThrottle).
 * - Requests per client (AUTH_SERVER_TOKEN_RATE_PER_CLIENT, ..._BURST_PER_CLIENT), taken only once
 *   oidc-provider has authenticated the client and before the grant runs, so someone who does not
 *   know a client's secret cannot spend its budget. A public client authenticates nothing (anyone
 *   may send its client_id), so its budget is per client and address: garbage refresh tokens sent
 *   as demo-app from one address spend that address's budget, not every demo-app user's.
 *
 * Every grant type counts. Intervals run on the monotonic clock: a wall-clock step changes nothing.
 *
 * Replicated mode (counts in PostgreSQL, see RateLimiterFactory): the listener oidc-provider calls
 * once the client is authenticated is synchronous and cannot wait for a database, so it only
 * starts the charge; `beforeEveryGrant` waits for its answer right before the grant runs and
 * refuses there, with the same 429. A store that fails during a check refuses the request with
 * `503 temporarily_unavailable` and `Retry-After` (fail closed), never a 500, never unchecked.
 */
@Injectable()
export class TokenEndpointLimits {
  private readonly logger = new Logger(TokenEndpointLimits.name);
  private readonly budgets: TokenBudget | undefined;
  private readonly authFailures: FixedWindowLimiter | undefined;
  private readonly requests = new AsyncLocalStorage<TokenRequest>();

  constructor(
    @InjectAppConfig(authServerConfig) config: AuthServerConfig,
    @InjectOidcProvider() provider: Provider,
    limiters: RateLimiterFactory,
  ) {
    this.budgets = limiters.createTokenBudget('token-client', config.tokenRatePerClient, config.tokenBurstPerClient);
    this.authFailures = limiters.create('client-auth-address', config.clientAuthMaxFailuresPerAddress, config.clientAuthFailureWindowSeconds);
    // Here, at construction, before OidcModule takes `provider.callback()` (Koa composes its
    // middleware then, once, at application bootstrap): a middleware added later would never run.
    provider.use((ctx, next) => this.limit(ctx, next, provider.proxy));
    onGrantTypeCheck(provider, (client) => this.authenticated(client));
    // Only a shared store answers later than the listener; the in-memory one refuses in it, as it always did.
    if (limiters.shared) beforeEveryGrant(provider, () => this.awaitCharge());
  }

  private async limit(ctx: KoaContext, next: KoaNext, trustProxy: boolean): Promise<void> {
    if (ctx.method !== 'POST' || !CLIENT_AUTHENTICATING_PATHS.has(ctx.path)) {
      await next();
      return;
    }
    const address = clientAddress(ctx.req, trustProxy);
    let wait: number | undefined;
    try {
      wait = await this.reserve(address);
    } catch (error) {
      this.logger.error({ event: 'client_auth_limits_unavailable', reason: describePostgresError(error) });
      refuse(ctx, 503, LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS, new AbuseLimitsUnavailableError().error_description);
      return;
    }
    if (wait !== undefined) {
      this.logger.warn({ event: 'client_auth_throttled', retryAfter: wait });
      refuse(ctx, 429, wait, `too many failed client authentications from this address; retry after ${wait} s`);
      return;
    }
    // Only token requests take from a client's budget.
    const request: TokenRequest = { address, charged: ctx.path !== OIDC_ROUTES.token, reserved: this.authFailures !== undefined };
    try {
      await this.requests.run(request, next);
    } finally {
      // A 401 invalid_client is the failed authentication the point was reserved for: it stays
      // counted. Anything else (authenticated but refused later, a malformed request that never
      // reached the credentials, an error) was no failed authentication: the point comes back.
      const failed = ctx.status === 401 && (ctx.body as { error?: unknown } | undefined)?.error === 'invalid_client';
      if (!failed) await this.giveBack(request).catch((error: unknown) => this.giveBackFailed(error));
    }
    if (request.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(request.retryAfterSeconds));
  }

  /**
   * Takes one failed-authentication point of `address` before its credentials are checked:
   * `undefined` when it had one left (or the limit is off), else the seconds until its window ends.
   */
  private async reserve(address: string): Promise<number | undefined> {
    if (this.authFailures === undefined) return undefined;
    try {
      await this.authFailures.consume(address);
      return undefined;
    } catch (refusal) {
      // The library rejects with its result when the limit is reached; anything else is a store failure.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      // A refused request checks nothing, so it gives back what it took: it is not a failure, and
      // the count stays at the limit instead of growing with the flood.
      await this.authFailures.reward(address);
      return secondsUntil(refusal.msBeforeNext);
    }
  }

  /** Returns the request's reserved point to its address, once. */
  private async giveBack(request: TokenRequest): Promise<void> {
    if (!request.reserved || this.authFailures === undefined) return;
    request.reserved = false;
    await this.authFailures.reward(request.address);
  }

  /**
   * Called once the token endpoint has authenticated `client`: the address gets its reserved
   * point back at once (so an authenticated client's requests do not hold the address's points
   * while their grants run), then the request takes one token from the client's budget.
   */
  private authenticated(client: Client): void {
    const request = this.requests.getStore();
    if (request === undefined) return;
    // The listener cannot wait; the in-memory store answers without I/O, and a failing shared
    // store is logged, never turned into a refusal of an authenticated client.
    this.giveBack(request).catch((error: unknown) => this.giveBackFailed(error));
    this.charge(client, request);
  }

  /** A point not given back stays counted: safe side, so logged only (a shared store that failed). */
  private giveBackFailed(error: unknown): void {
    this.logger.error({ event: 'client_auth_give_back_failed', reason: describePostgresError(error) });
  }

  /**
   * One token from the budget of `client`, once per token request. In memory the answer is there
   * at once and a refusal is thrown here; from PostgreSQL it is kept for `awaitCharge`.
   */
  private charge(client: Client, request: TokenRequest): void {
    if (request.charged || this.budgets === undefined) return;
    request.charged = true;
    const key = client.clientAuthMethod === 'none' ? `${client.clientId} ${request.address}` : client.clientId;
    const answer = this.budgets.take(key);
    if (answer instanceof Promise) {
      const outcome = answer.then(
        (wait): ChargeOutcome => ({ failed: false, wait }),
        (error: unknown): ChargeOutcome => ({ failed: true, reason: describePostgresError(error) }),
      );
      request.pendingCharge = { clientId: client.clientId, outcome };
      return;
    }
    this.refuseIfOver(client.clientId, request, answer);
  }

  /** Right before the grant (replicated mode): waits for the request's charge, refuses over budget or without an answer. */
  private async awaitCharge(): Promise<void> {
    const request = this.requests.getStore();
    const pending = request?.pendingCharge;
    if (request === undefined || pending === undefined) return;
    request.pendingCharge = undefined;
    const outcome = await pending.outcome;
    if (outcome.failed) {
      request.retryAfterSeconds = LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS;
      this.logger.error({ event: 'token_limits_unavailable', client: pending.clientId, reason: outcome.reason });
      throw new AbuseLimitsUnavailableError();
    }
    this.refuseIfOver(pending.clientId, request, outcome.wait);
  }

  private refuseIfOver(clientId: string, request: TokenRequest, wait: number | undefined): void {
    if (wait === undefined) return;
    request.retryAfterSeconds = wait;
    this.logger.warn({ event: 'token_rate_limited', client: clientId, retryAfter: wait });
    throw new TokenRateLimitedError(wait);
  }
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The refusal an oidc-provider error would give (its error handler is not around this middleware). */
function refuse(ctx: KoaContext, status: 429 | 503, retryAfterSeconds: number, description: string): void {
  ctx.status = status;
  ctx.set('Retry-After', String(retryAfterSeconds));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: description };
}
