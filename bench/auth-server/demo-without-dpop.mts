import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAppsDir, workspaceRoot } from '../lib/server.mts';

const written = new Map<string, string>();

/**
 * The demo configuration of the auth server built in `appsDir` (its bundled config/demo.yaml, else
 * apps/auth-server/config/demo.yaml) without the user-service client's `requireDpop: true`,
 * written once to a temporary file. The suites that measure the token exchange without DPoP
 * against peers without DPoP (apples to apples) run the auth server with it; bench/dpop measures
 * what DPoP adds. For the build under test (no `appsDir`) a missing line throws, so that a change
 * of the demo policy is noticed here rather than measured as refusals; an earlier build given as
 * `appsDir` (a baseline) may predate DPoP and have no such line.
 */
export function demoConfigWithoutDpop(appsDir?: string): string {
  const dir = appsDir ?? builtAppsDir();
  const cached = written.get(dir);
  if (cached !== undefined) return cached;
  const bundled = join(dir, 'auth-server', 'config', 'demo.yaml');
  const demo = readFileSync(existsSync(bundled) ? bundled : join(workspaceRoot, 'apps', 'auth-server', 'config', 'demo.yaml'), 'utf8');
  const relaxed = demo.replace(/^\s*requireDpop: true\s*$/m, '');
  if (relaxed === demo && appsDir === undefined) {
    throw new Error('the demo configuration no longer says requireDpop: true for user-service; update bench/auth-server/demo-without-dpop.mts');
  }
  if (/^\s*requireDpop:/m.test(relaxed)) throw new Error('the demo configuration requires DPoP of more than one client; update bench/auth-server/demo-without-dpop.mts');
  const file = join(mkdtempSync(join(tmpdir(), 'bench-demo-without-dpop-')), 'auth-server.yaml');
  writeFileSync(file, relaxed);
  written.set(dir, file);
  return file;
}

/**
 * `startBenchAuthServer`'s environment for the demo without user-service's `requireDpop` (`env`
 * added; `appsDir` as for startBenchAuthServer, an earlier build's dist/apps).
 */
export function withoutDpop(env: Record<string, string> = {}, appsDir?: string): Record<string, string> {
  return { AUTH_SERVER_CONFIG_FILE: demoConfigWithoutDpop(appsDir), ...env };
}
