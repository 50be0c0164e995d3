import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startBuiltApp, type BenchServer } from './server.mts';

/**
 * The built auth server as the benchmarks run it: production mode, demo configuration, a fresh
 * data folder, the database in memory, `LOG_LEVEL=info` so every exchange writes its audit line
 * (to the server's log file), pinned to CPU 0. `env` adds or overrides variables; `appsDir` runs
 * the auth server built in another folder than dist/apps (BENCH_APPS_DIR's default).
 */
export function startBenchAuthServer(env: Record<string, string> = {}, appsDir?: string): Promise<BenchServer> {
  return startBuiltApp({
    app: 'auth-server',
    ...(appsDir === undefined ? {} : { main: join(appsDir, 'auth-server', 'main.js') }),
    healthPath: '/health',
    env: (port, dataDir) => ({
      AUTH_SERVER_PORT: String(port),
      AUTH_SERVER_ISSUER: `http://127.0.0.1:${port}`,
      AUTH_SERVER_DATA_DIR: dataDir,
      AUTH_SERVER_DATABASE: ':memory:',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      // Production mode wants /metrics protected; the benchmarks never call it.
      METRICS_TOKEN: randomBytes(24).toString('base64url'),
      // Production mode refuses the demo file, generated keys and an http issuer unless allowed: the
      // benchmarks run the demo on loopback on purpose. The per-client rate limit would cap them.
      AUTH_SERVER_ALLOW_DEMO_CONFIG: 'true',
      AUTH_SERVER_ALLOW_GENERATED_KEYS: 'true',
      AUTH_SERVER_ALLOW_INSECURE_ISSUER: 'true',
      AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '0',
      ...env,
    }),
  });
}
