import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Version when no package.json goes with the running program (tests, ts-node). */
export const UNKNOWN_VERSION = '0.0.0-dev';

/**
 * The version of the running app: the `version` of the package.json in the folder of its bundle,
 * which `nx build` writes beside `dist/apps/<app>/main.js` and the Docker image keeps beside
 * `/app/main.js` (this code is bundled into main.js, so `__dirname` is that folder).
 * `0.0.0-dev` when there is none (tests, ts-node).
 */
export function serviceVersion(directory: string = __dirname): string {
  try {
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' && manifest.version !== '' ? manifest.version : UNKNOWN_VERSION;
  } catch {
    return UNKNOWN_VERSION;
  }
}
