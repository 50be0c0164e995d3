import { Injectable } from '@nestjs/common';
import { UnreachableError } from './http/unreachable.error';
import { ServiceSupervisor } from './services/service-supervisor';
import { DemoStepError } from './trace/demo-step.error';
import { Trace } from './trace/trace';
import { Walkthrough } from './walkthrough/walkthrough';

const STEPS = 4;

/**
 * The whole demo: services up, the four steps, a verdict, and the services it started stopped
 * again. Returns the process exit code: 0 only when every step behaved as expected.
 */
@Injectable()
export class DemoRunner {
  constructor(
    private readonly trace: Trace,
    private readonly supervisor: ServiceSupervisor,
    private readonly walkthrough: Walkthrough,
  ) {}

  async run(): Promise<number> {
    const started = performance.now();
    const interrupt = () => void this.interrupt();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    this.trace.title("Baton demo: a user's identity carried from service to service");
    try {
      this.trace.section('Services');
      for (const service of await this.supervisor.ensureRunning()) {
        this.trace.note(`${service.name.padEnd(16)} ${service.url.padEnd(24)} ${service.startedByDemo ? 'started by the demo' : 'already running'}`);
      }
      await this.walkthrough.run();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      this.trace.success(`✓ All ${STEPS} steps behaved as expected (${this.trace.passedChecks} checks, ${seconds} s).`);
      return 0;
    } catch (error) {
      // An interruption makes the steps fail; interrupt() tells the story and sets the exit code.
      if (this.supervisor.interrupted) return new Promise<number>(() => undefined);
      this.reportFailure(error);
      return 1;
    } finally {
      process.removeListener('SIGINT', interrupt);
      process.removeListener('SIGTERM', interrupt);
      if (!this.supervisor.interrupted) await this.supervisor.stopStarted();
    }
  }

  /** Ctrl-C: stop the services the demo started (also those still starting), then exit 130. */
  private async interrupt(): Promise<void> {
    this.trace.failure('Interrupted: stopping the services the demo started ...');
    await this.supervisor.shutdown();
    this.trace.line('Stopped.');
    process.exit(130);
  }

  private reportFailure(error: unknown): void {
    const step = this.walkthrough.currentStep;
    const where = step === 0 ? 'Before the walkthrough' : `Step ${step}`;
    const message =
      error instanceof DemoStepError || error instanceof UnreachableError
        ? error.message
        : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    this.trace.failure(`✗ Demo failed. ${where}: ${message}`);
    for (const { name, logs } of this.supervisor.problemsOfStarted()) {
      if (logs.length === 0) continue;
      this.trace.line(`  warnings and errors of ${name} (started by the demo):`);
      for (const line of logs) this.trace.line(`    | ${line}`);
    }
  }
}
