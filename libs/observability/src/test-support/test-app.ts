import { Controller, Get, INestApplication, Injectable, Logger, OnApplicationShutdown, Param, Res } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import type { ServerResponse } from 'node:http';
import { RequestContext } from '../lib/context/request-context';
import { ObservabilityModule } from '../lib/observability.module';
import type { ObservabilityModuleOptions } from '../lib/observability.options';
import { useStructuredLogs } from '../lib/startup/service-bootstrap';
import { LogCapture } from './log-capture';

/** A readiness check the test turns up, down, or makes throw. */
@Injectable()
export class SwitchableCheck {
  state: 'up' | 'down' | 'throws' = 'up';

  check(): HealthIndicatorResult {
    if (this.state === 'throws') throw new Error('the check itself broke');
    return { switchable: this.state === 'up' ? { status: 'up' } : { status: 'down', message: 'switched off' } };
  }
}

/** Records when the app's shutdown hooks ran (databases close there). */
@Injectable()
export class ShutdownRecorder implements OnApplicationShutdown {
  closedAt: number | undefined;

  onApplicationShutdown(): void {
    this.closedAt = Date.now();
  }
}

/** Holds `/slow` requests until the test releases them. */
@Injectable()
export class Gate {
  private waiting: (() => void)[] = [];
  arrived = 0;

  wait(): Promise<void> {
    this.arrived += 1;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.waiting.splice(0).forEach((resolve) => resolve());
  }
}

@Controller()
class ItemsController {
  private readonly logger = new Logger('ItemsController');

  constructor(
    private readonly context: RequestContext,
    private readonly gate: Gate,
  ) {}

  @Get('items/:id')
  async item(@Param('id') id: string, @Res({ passthrough: true }) response: ServerResponse) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.logger.log(`looking up item ${id}`);
    response.setHeader('Set-Cookie', 'session=cookie-value-123; HttpOnly');
    return { id, requestId: this.context.requestId };
  }

  @Get('slow')
  async slow() {
    await this.gate.wait();
    return { slow: 'done' };
  }

  @Get('boom')
  boom(): never {
    throw new Error('kaboom');
  }
}

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  logs: LogCapture;
  check: SwitchableCheck;
  gate: Gate;
  recorder: ShutdownRecorder;
}

/**
 * Where every test app of a test file logs. nestjs-pino keeps one pino-http instance per process
 * (the first app's), so apps started after the first in a file log to the same destination.
 */
const logs = new LogCapture();

/** A small Nest app with ObservabilityModule, listening on 127.0.0.1, its logs captured. */
export async function startTestApp(options: Partial<ObservabilityModuleOptions> = {}): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ObservabilityModule.forRoot({
        service: 'test-service',
        version: '1.2.3',
        logDestination: logs,
        readiness: [SwitchableCheck],
        ...options,
      }),
    ],
    controllers: [ItemsController],
    providers: [SwitchableCheck, ShutdownRecorder, Gate],
  }).compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  // What main.ts does: Nest's logs and every `new Logger()` through pino.
  useStructuredLogs(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    logs,
    check: app.get(SwitchableCheck),
    gate: app.get(Gate),
    recorder: app.get(ShutdownRecorder),
  };
}
