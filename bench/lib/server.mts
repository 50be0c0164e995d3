import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus as listCpus, tmpdir } from 'node:os';
import { join } from 'node:path';

export const workspaceRoot = new URL('../..', import.meta.url).pathname;

export interface BenchServer {
  url: string;
  logFile: string;
  pinned: string;
  /** CPU seconds (user + system, all threads) the server has used so far; `undefined` without /proc. */
  cpuSeconds(): number | undefined;
  /** Resident set size now (VmRSS), in bytes; `undefined` without /proc. */
  rss(): number | undefined;
  /** Highest resident set size (VmHWM) since start or the last `resetPeakRss()`, in bytes; `undefined` without /proc. */
  peakRss(): number | undefined;
  /**
   * Restarts the VmHWM high-water mark at the current RSS (`/proc/<pid>/clear_refs`, Linux ≥ 4.0), so
   * that `peakRss()` then tells the peak of a load rather than of start-up; false where it cannot.
   */
  resetPeakRss(): boolean;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tasksetAvailable(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

/**
 * Keeps the load generator (this process, all its threads) off CPU 0, where the server under test
 * is pinned; returns how the runner was placed.
 */
export function pinLoadGenerator(): string {
  // The machine's CPUs, not availableParallelism(): once a first suite has pinned this process,
  // that answers 1 and a second suite in the same run would report "not pinned".
  const cpus = listCpus().length;
  if (cpus < 2 || !tasksetAvailable()) return 'load generator not pinned';
  const others = cpus === 2 ? '1' : `1-${cpus - 1}`;
  const result = spawnSync('taskset', ['-a', '-p', '-c', others, String(process.pid)]);
  return result.status === 0 ? `load generator on CPU ${others}` : 'load generator not pinned';
}

/**
 * Where the built apps are: `dist/apps`, or BENCH_APPS_DIR (e.g. a copy of an earlier build, to
 * measure it beside today's; still started with the workspace as working directory).
 */
export function builtAppsDir(): string {
  const configured = process.env['BENCH_APPS_DIR'];
  return configured === undefined || configured === '' ? join(workspaceRoot, 'dist', 'apps') : configured;
}

/**
 * V8 options every server of every suite starts with, Baton's or not. The suites alternate rounds,
 * so each server sits idle while the others are measured, and V8's default memory reducer would
 * then shrink its heap and drop its optimized code: a server measured after a quiet spell pays its
 * warm-up again (the auth server: ~1.8x the CPU per request for ~10 s). Baton's services turn that
 * off themselves (libs/observability, keepWarmAfterIdle); a peer or an earlier build would not, and
 * would be measured at its worst. With the same option for all, the rounds compare code, not V8's
 * idle policy.
 */
const SAME_V8_FOR_EVERY_SERVER = ['--no-memory-reducer-favors-memory'];

/**
 * Starts a built app (`dist/apps/<app>/main.js`, or `main`) on a free loopback port, pinned to CPU 0 with
 * `taskset` when the machine has it, its output written to a log file (the audit lines stay on).
 */
export async function startBuiltApp(options: {
  app: string;
  env: (port: number, dataDir: string) => Record<string, string>;
  healthPath: string;
  /** Another entry point than `dist/apps/<app>/main.js` (e.g. a bench's own .mts server). */
  main?: string;
}): Promise<BenchServer> {
  const main = options.main ?? join(builtAppsDir(), options.app, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npx nx build ${options.app}`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `bench-${options.app}-`));
  const logFile = join(dataDir, 'server.log');
  const log = createWriteStream(logFile);
  const pin = tasksetAvailable();
  const nodeArgs = [...SAME_V8_FOR_EVERY_SERVER, main];
  const [command, args] = pin ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child: ChildProcess = spawn(command, args, {
    cwd: workspaceRoot,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', ...options.env(port, dataDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.app} exited with ${child.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(`${url}${options.healthPath}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.app} did not become healthy; see ${logFile}`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }

  return {
    url,
    logFile,
    pinned: pin ? 'taskset -c 0' : 'not pinned (no taskset)',
    cpuSeconds: () => processCpuSeconds(child.pid),
    rss: () => processStatusBytes(child.pid, 'VmRSS'),
    peakRss: () => processStatusBytes(child.pid, 'VmHWM'),
    resetPeakRss: () => resetPeakRss(child.pid),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

/**
 * CPU time of a process from /proc/<pid>/stat (utime + stime, in clock ticks of 1/100 s on
 * Linux). Unlike throughput it hardly moves when other work shares the machine.
 */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), in bytes. */
function processStatusBytes(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Writing 5 to clear_refs resets the peak RSS (proc(5)). */
function resetPeakRss(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
