/**
 * In-process micro-benchmark of `TokenExchangeService.exchange()` on a warm cache (issue 5).
 * Run by `index.mts` in its own process (pinned to one core when taskset exists), through
 * ts-node + tsconfig-paths because the lib uses decorators:
 *
 *   TS_NODE_PROJECT=bench/user-service/tsconfig.json TS_NODE_TRANSPILE_ONLY=true \
 *     node -r ts-node/register -r tsconfig-paths/register bench/user-service/exchange-micro.bench.ts '<json>'
 *
 * Input (argv[2], JSON): { tokenEndpoint, subjectToken, rounds, durationSeconds, warmupSeconds }.
 * Output: one JSON line per round on stdout, then a summary line.
 */
import { TokenExchangeModule, TokenExchangeService } from '@baton/token-exchange';
import { NestFactory } from '@nestjs/core';

interface Input {
  tokenEndpoint: string;
  subjectToken: string;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
}

const BATCH = 10_000;

async function measure(service: TokenExchangeService, subjectToken: string, seconds: number) {
  const deadline = performance.now() + seconds * 1_000;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let calls = 0;
  while (performance.now() < deadline) {
    for (let index = 0; index < BATCH; index += 1) {
      // A new request object per call, as a controller would build it.
      await service.exchange({ subjectToken, audience: 'message-service', scope: 'message.read' });
    }
    calls += BATCH;
  }
  const elapsedMs = performance.now() - started;
  // CPU time (user + system, every thread of the process): what one core spends per call, even
  // when other work on the machine takes the core away now and then (wall time counts that too).
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMicroseconds = cpu.user + cpu.system;
  return {
    calls,
    elapsedMs,
    opsPerSecond: (calls / elapsedMs) * 1_000,
    microsecondsPerCall: (elapsedMs * 1_000) / calls,
    cpuMicrosecondsPerCall: cpuMicroseconds / calls,
    opsPerCpuSecond: (calls / cpuMicroseconds) * 1e6,
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as Input;
  const context = await NestFactory.createApplicationContext(
    // DPoP as user-service is deployed (a proof with the one real exchange; cache hits need none).
    TokenExchangeModule.forRoot({ tokenEndpoint: input.tokenEndpoint, clientId: 'user-service', clientSecret: 'secret', dpop: true }),
    { logger: ['error', 'warn'] },
  );
  const service = context.get(TokenExchangeService);
  try {
    // The one real exchange, against the running auth server; every later call is a cache hit.
    await service.exchange({ subjectToken: input.subjectToken, audience: 'message-service', scope: 'message.read' });
    await measure(service, input.subjectToken, input.warmupSeconds);
    for (let round = 1; round <= input.rounds; round += 1) {
      const result = await measure(service, input.subjectToken, input.durationSeconds);
      process.stdout.write(`${JSON.stringify({ round, ...result })}\n`);
    }
    const counters = service.counters();
    process.stdout.write(`${JSON.stringify({ summary: true, exchangeRequests: counters.exchangeRequests, cacheHits: counters.cacheHits })}\n`);
  } finally {
    await context.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
