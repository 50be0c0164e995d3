import { Inject, Injectable, InjectionToken, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { performance } from 'node:perf_hooks';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import { RESOLVED_OBSERVABILITY_OPTIONS } from '../observability.module-definition';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { GracefulShutdown } from '../shutdown/graceful-shutdown';
import type { ReadinessCheck } from './readiness-check';

/** A readiness check slower than this is down: orchestrators time their probes out soon after. */
export const READINESS_CHECK_TIMEOUT_MS = 2_500;

export interface ProbeAnswer {
  /** 200, or 503 when not ready. */
  status: number;
  body: HealthCheckResult;
}

/**
 * Liveness and readiness, answered with terminus' `HealthCheckService` in its usual shape
 * (`{ status, info, error, details }`). Live: the process answers. Ready: every readiness check of
 * the app is up, and the service is not shutting down.
 */
@Injectable()
export class HealthProbes implements OnApplicationBootstrap {
  private readonly logger = new Logger(HealthProbes.name);
  // Monotonic: a wall-clock step (NTP, VM resume) must not make the uptime jump or go negative.
  private readonly started = performance.now();
  private checks: { name: string; check: ReadinessCheck }[] = [];
  private wasReady: boolean | undefined;

  constructor(
    private readonly health: HealthCheckService,
    private readonly moduleRef: ModuleRef,
    private readonly shutdown: GracefulShutdown,
    @Inject(RESOLVED_OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  /** Finds the readiness checks now, so a missing provider stops the start rather than every probe. */
  onApplicationBootstrap(): void {
    this.checks = this.options.readiness.map((token) => ({
      name: nameOf(token),
      check: this.moduleRef.get<ReadinessCheck>(token, { strict: false }),
    }));
  }

  async live(): Promise<ProbeAnswer> {
    const uptimeSeconds = Math.round((performance.now() - this.started) / 1000);
    return this.run([() => ({ process: { status: 'up', uptimeSeconds } })]);
  }

  async ready(): Promise<ProbeAnswer> {
    if (this.shutdown.draining) {
      return { status: 503, body: { status: 'shutting_down', info: {}, error: {}, details: {} } };
    }
    const answer = await this.run(this.checks.map(({ name, check }) => () => bounded(name, check)));
    this.reportChange(answer);
    return answer;
  }

  private async run(indicators: (() => Promise<HealthIndicatorResult> | HealthIndicatorResult)[]): Promise<ProbeAnswer> {
    try {
      return { status: 200, body: await this.health.check(indicators) };
    } catch (error) {
      // terminus answers a failed check with a ServiceUnavailableException carrying the result.
      const body = (error as { getResponse?: () => unknown }).getResponse?.() as HealthCheckResult | undefined;
      if (body === undefined) throw error;
      return { status: 503, body };
    }
  }

  /** One log line when readiness changes, not one per probe. */
  private reportChange(answer: ProbeAnswer): void {
    const ready = answer.status === 200;
    if (ready === this.wasReady) return;
    this.wasReady = ready;
    if (ready) this.logger.log('ready');
    else this.logger.warn({ checks: answer.body.error }, 'not ready');
  }
}

/** Runs a check within the time limit; a throw or a timeout is `down`, never an error of the probe. */
async function bounded(name: string, check: ReadinessCheck): Promise<HealthIndicatorResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthIndicatorResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ [name]: { status: 'down', message: `no answer within ${READINESS_CHECK_TIMEOUT_MS} ms` } }),
      READINESS_CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch (error) {
    return { [name]: { status: 'down', message: error instanceof Error ? error.message : String(error) } };
  } finally {
    clearTimeout(timer);
  }
}

function nameOf(token: InjectionToken): string {
  if (typeof token === 'function') return token.name;
  return String(token);
}
