import { workspaceRoot } from '@baton/testing';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

interface ResourceServerEntry {
  audience: string;
  accessTokenTtl?: number;
}

const folders: string[] = [];
process.once('exit', () => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/**
 * The auth server's demo file (apps/auth-server/config/demo.yaml) with other access token
 * lifetimes per audience, written to a temporary file: users, clients and secrets stay the demo's.
 */
export function demoConfigWithTokenLifetimes(lifetimes: Record<string, number>): string {
  const demo = parse(readFileSync(join(workspaceRoot(), 'apps', 'auth-server', 'config', 'demo.yaml'), 'utf8')) as {
    resourceServers: ResourceServerEntry[];
  };
  for (const server of demo.resourceServers) {
    const lifetime = lifetimes[server.audience];
    if (lifetime !== undefined) server.accessTokenTtl = lifetime;
  }
  const folder = mkdtempSync(join(tmpdir(), 'baton-e2e-config-'));
  folders.push(folder);
  const file = join(folder, 'auth-server.yaml');
  writeFileSync(file, stringify(demo));
  return file;
}
