import { commonConfig, defineAppConfig, loadConfig } from '@baton/config';
import { observabilityConfig, observabilityOptionsFromConfig, withObservabilityRules } from './observability.config';

const schema = { ...commonConfig, ...observabilityConfig };
const appConfig = withObservabilityRules(defineAppConfig('testService', schema));

describe('observabilityConfig', () => {
  it('has defaults that work on a fresh machine: /metrics open, 8 s to drain (inside the 10 s Docker gives), 1 s for idle connections, no balancer delay', () => {
    const values = loadConfig(schema, {});
    expect(values.metricsToken).toBe('');
    expect(values.shutdownTimeoutMs).toBe(8_000);
    expect(values.shutdownIdleGraceMs).toBe(1_000);
    expect(values.shutdownDrainDelayMs).toBe(0);
    expect(observabilityOptionsFromConfig(values, { service: 'test-service' })).toEqual({
      service: 'test-service',
      logLevel: 'info',
      logFormat: 'json',
      metricsToken: undefined,
      shutdownTimeoutMs: 8_000,
      shutdownIdleGraceMs: 1_000,
      shutdownDrainDelayMs: 0,
    });
  });

  it('refuses a short metrics token without echoing it', () => {
    expect(() => loadConfig(schema, { METRICS_TOKEN: 'short' })).toThrow(
      'METRICS_TOKEN must be at least 16 printable characters without spaces',
    );
    try {
      loadConfig(schema, { METRICS_TOKEN: 'short' });
    } catch (error) {
      expect((error as Error).message).not.toContain('"short"');
    }
  });

  it('requires a metrics token in production', () => {
    const original = process.env;
    try {
      process.env = { NODE_ENV: 'production' };
      expect(() => appConfig.load()).toThrow('METRICS_TOKEN is required in production (GET /metrics would be public)');
      process.env = { NODE_ENV: 'production', METRICS_TOKEN: 'a-long-enough-metrics-token' };
      expect(appConfig.load().metricsToken).toBe('a-long-enough-metrics-token');
      process.env = { NODE_ENV: 'development' };
      expect(appConfig.load().metricsToken).toBe('');
    } finally {
      process.env = original;
    }
  });
});
