import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { workspaceRoot } from './app-process';

/** Debian's package (`apt-get install chromium`): used only when the npm browser cannot start. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a test browser. Not `@sparticuz/chromium`'s `args`: those are for AWS Lambda and
 * include `--disable-web-security` and `--disable-site-isolation-trials`, which would switch off
 * the very same-origin rules the security tests rely on.
 */
const TEST_FLAGS = [
  '--no-sandbox', // CI runs as root, where Chromium's sandbox refuses to start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedChromium {
  readonly browser: Browser;
  /** `npm`: @sparticuz/chromium from node_modules; `system`: /usr/bin/chromium. */
  readonly source: 'npm' | 'system';
  readonly executablePath: string;
  /** Which browser ran, its version, and why the fallback if it was used (also printed). */
  readonly description: string;
}

/**
 * Launches headless Chromium for a test: the one `npm ci` brings (@sparticuz/chromium, a
 * brotli-compressed headless shell inside the npm package), else Debian's `/usr/bin/chromium`
 * if it exists. Nothing is downloaded and nothing needs apt. Prints one `browser: …` line so CI's
 * log says which one ran (stdout, not console: Jest would add a stack frame to it).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<LaunchedChromium> {
  const launched = await launch(extraArgs);
  process.stdout.write(`browser: ${launched.description}\n`);
  return launched;
}

async function launch(extraArgs: readonly string[]): Promise<LaunchedChromium> {
  const { chromium } = await import('playwright-core');
  const args = [...TEST_FLAGS, ...extraArgs];
  let npmFailure: string;
  try {
    const bundled = await extractNpmChromium();
    const browser = await chromium.launch({
      executablePath: bundled.executablePath,
      args,
      headless: true,
      env: bundled.env,
    });
    return {
      browser,
      source: 'npm',
      executablePath: bundled.executablePath,
      description: `@sparticuz/chromium ${bundled.packageVersion} (Chromium ${browser.version()}) from npm, ${bundled.executablePath}`,
    };
  } catch (error) {
    npmFailure = firstLine(error);
  }
  if (!existsSync(SYSTEM_CHROMIUM)) {
    throw new Error(`the npm Chromium (@sparticuz/chromium) did not start: ${npmFailure}; and ${SYSTEM_CHROMIUM} does not exist`);
  }
  const browser = await chromium.launch({ executablePath: SYSTEM_CHROMIUM, args, headless: true });
  return {
    browser,
    source: 'system',
    executablePath: SYSTEM_CHROMIUM,
    description: `${SYSTEM_CHROMIUM} (Chromium ${browser.version()}), because the npm Chromium did not start: ${npmFailure}`,
  };
}

interface NpmChromium {
  readonly executablePath: string;
  readonly packageVersion: string;
  /** The browser's environment: the package's own NSS, NSPR and expat, and its fonts. */
  readonly env: Record<string, string>;
}

/**
 * Unpacks @sparticuz/chromium once per package version into node_modules/.cache (so `npm ci`
 * starts it afresh), and not with the package's `executablePath()`: that one unpacks into /tmp
 * and reuses any /tmp/chromium it finds, whatever its version or completeness. Each unpack goes
 * to a private folder renamed into place, so two test processes never see a half-written binary.
 *
 * The headless shell links libnss3, libnspr4 and libexpat, which a bare Debian or a node:*-slim
 * image lacks; the package carries them for Amazon Linux 2023 (`al2023.tar.br`, glibc 2.34, fine
 * on Debian 12's 2.36) and we put them first on the browser's LD_LIBRARY_PATH on every system.
 */
async function extractNpmChromium(): Promise<NpmChromium> {
  const root = workspaceRoot();
  const packageDirectory = dirname(dirname(createRequire(join(root, 'package.json')).resolve('@sparticuz/chromium')));
  const packageVersion = (JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8')) as { version: string }).version;
  const bin = join(packageDirectory, 'bin');
  const target = join(root, 'node_modules', '.cache', 'baton-chromium', packageVersion);
  const executablePath = join(target, 'chromium');

  if (!existsSync(executablePath)) {
    const partial = `${target}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(join(partial, 'fontconfig-cache'), { recursive: true });
    await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(partial, 'chromium'), { mode: 0o755 }));
    await untarBrotli(join(bin, 'al2023.tar.br'), partial); // lib/libnss3.so, ...
    await untarBrotli(join(bin, 'fonts.tar.br'), partial); // fonts/Open_Sans/*.ttf
    // The package's fonts.conf names /tmp/fonts; ours names the folder the fonts are in.
    await writeFile(
      join(partial, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(target, 'fonts')}</dir>\n  <cachedir>${join(target, 'fontconfig-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      await rename(partial, target);
    } catch (error) {
      // Another process finished first: its copy is complete, ours goes.
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(executablePath)) throw error;
    }
  }

  const libraries = join(target, 'lib');
  const inherited = process.env['LD_LIBRARY_PATH'];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  env['LD_LIBRARY_PATH'] = inherited ? `${libraries}:${inherited}` : libraries;
  env['FONTCONFIG_PATH'] = target;
  return { executablePath, packageVersion, env };
}

/** Node has brotli but no tar reader; `tar` is in every Debian and Node image. */
async function untarBrotli(archive: string, into: string): Promise<void> {
  const tarball = join(into, 'archive.tar');
  await pipeline(createReadStream(archive), createBrotliDecompress(), createWriteStream(tarball));
  await new Promise<void>((resolve, reject) => {
    execFile('tar', ['-x', '--no-same-owner', '-C', into, '-f', tarball], (error, _stdout, stderr) =>
      error ? reject(new Error(`tar -x of ${archive}: ${stderr.trim() || error.message}`)) : resolve(),
    );
  });
  await rm(tarball);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
