import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * One thing a service needs before it can serve: `check()` answers a terminus indicator result,
 * `{ <name>: { status: 'up' | 'down', ...details } }`, and does not throw. Implemented by
 * providers anywhere in the app and listed in `ObservabilityModule`'s `readiness` option; a class
 * with a fitting `check()` needs no import from this library.
 */
export interface ReadinessCheck {
  check(): Promise<HealthIndicatorResult> | HealthIndicatorResult;
}
