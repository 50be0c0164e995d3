import { InjectAppConfig } from '@baton/config';
import { AppProcess } from '@baton/testing';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { DemoConfig, demoConfig } from '../config/demo.config';
import { httpCall } from '../http/http-call';
import { UnreachableError } from '../http/unreachable.error';
import { DemoStepError } from '../trace/demo-step.error';
import { Trace } from '../trace/trace';
import { problemLines } from './problem-lines';
import { AuthServerEndpoints, ServiceStatus } from './service-status';
import { bindAddressOf, isLoopbackUrl, portOf, rebase, SERVICE_NAMES, ServiceName } from './service-url';

const HEALTH_PROBE_TIMEOUT_MS = 2_000;

const START_TIMEOUT_MS = 30_000;
const PORT_VARIABLES: Record<ServiceName, string> = {
  'auth-server': 'AUTH_SERVER_PORT',
  'message-service': 'MESSAGE_SERVICE_PORT',
  'user-service': 'USER_SERVICE_PORT',
};

/**
 * Makes sure the three services answer before the walkthrough: uses those already running and
 * starts the others from their built bundles (`dist/apps/<app>/main.js`) on the ports of the
 * configured URLs, wired to each other. Stops what it started, and only that.
 */
@Injectable()
export class ServiceSupervisor implements OnApplicationShutdown {
  private readonly started = new Map<ServiceName, AppProcess>();
  /** Starts still waiting for the service's health check; a shutdown waits for them. */
  private readonly starting = new Set<Promise<unknown>>();
  private shuttingDown = false;
  private endpoints: AuthServerEndpoints | undefined;

  constructor(
    @InjectAppConfig(demoConfig) private readonly config: DemoConfig,
    private readonly trace: Trace,
  ) {}

  /** Whether the demo was told to stop (Ctrl-C, SIGTERM) while it ran. */
  get interrupted(): boolean {
    return this.shuttingDown;
  }

  /** The auth server's issuer and endpoints, as reachable from here (after ensureRunning). */
  get authServer(): AuthServerEndpoints {
    if (this.endpoints === undefined) throw new Error('ensureRunning() first');
    return this.endpoints;
  }

  async ensureRunning(): Promise<ServiceStatus[]> {
    const statuses: ServiceStatus[] = [];
    const missing: ServiceName[] = [];
    for (const name of SERVICE_NAMES) {
      if (await this.isHealthy(name)) statuses.push({ name, url: this.urlOf(name), startedByDemo: false });
      else missing.push(name);
    }
    if (missing.length > 0) this.checkStartable(missing);

    if (missing.includes('auth-server')) await this.start('auth-server');
    this.endpoints = await this.discoverAuthServer();
    // Both at once; wait for both even when one fails, so that the other is known and stopped.
    const results = await Promise.allSettled(missing.filter((name) => name !== 'auth-server').map((name) => this.start(name)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    for (const name of missing) statuses.push({ name, url: this.urlOf(name), startedByDemo: true });
    return SERVICE_NAMES.map((name) => statuses.find((status) => status.name === name) as ServiceStatus);
  }

  /** The last warnings and errors each started service logged, to show next to a failure. */
  problemsOfStarted(lines = 10): { name: ServiceName; logs: string[] }[] {
    return [...this.started].map(([name, child]) => ({
      name,
      logs: problemLines(child.logs, lines),
    }));
  }

  /** Stops the services this demo started (the last started first). */
  async stopStarted(): Promise<void> {
    const running = [...this.started].reverse();
    this.started.clear();
    for (const [, child] of running) await child.stop();
  }

  /**
   * Interrupted (Ctrl-C, SIGTERM): lets what is still starting finish its start and stop at once
   * (the services it waits for are still up, so that is quick), then stops the rest; no service
   * outlives the demo.
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.allSettled([...this.starting]);
    await this.stopStarted();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.shutdown();
  }

  private urlOf(name: ServiceName): string {
    switch (name) {
      case 'auth-server':
        return this.config.authServerUrl;
      case 'message-service':
        return this.config.messageServiceUrl;
      case 'user-service':
        return this.config.userServiceUrl;
    }
  }

  private async isHealthy(name: ServiceName): Promise<boolean> {
    try {
      const answer = await httpCall(`${this.urlOf(name)}/health`, { timeoutMs: HEALTH_PROBE_TIMEOUT_MS });
      return answer.status === 200;
    } catch (error) {
      if (error instanceof UnreachableError) return false;
      throw error;
    }
  }

  private checkStartable(missing: readonly ServiceName[]): void {
    const where = missing.map((name) => `${name} at ${this.urlOf(name)}`).join(', ');
    if (!this.config.startServices) {
      throw new DemoStepError(
        `not running: ${where}. Start them (npm start, or docker compose), or let the demo start them (DEMO_START_SERVICES=true)`,
      );
    }
    const remote = missing.filter((name) => !isLoopbackUrl(this.urlOf(name)));
    if (remote.length > 0) {
      throw new DemoStepError(
        `not answering: ${remote.map((name) => `${name} at ${this.urlOf(name)}`).join(', ')}; the demo only starts services on this machine`,
      );
    }
  }

  private async start(name: ServiceName): Promise<void> {
    const url = this.urlOf(name);
    // Ready, not only alive: the resource servers have fetched the auth server's keys.
    const healthUrl = `${url}/health/ready`;
    this.trace.note(`starting ${name} on port ${portOf(url)} ...`);
    const starting = AppProcess.start({
      app: name,
      env: { NODE_ENV: 'development', LOG_LEVEL: 'warn', NO_COLOR: '1', HOST: bindAddressOf(url), ...this.environmentOf(name) },
      healthUrl,
      timeoutMs: START_TIMEOUT_MS,
    });
    this.starting.add(starting);
    try {
      const child = await starting;
      if (this.shuttingDown) {
        await child.stop();
        throw new DemoStepError(`stopped: ${name} was started while the demo was being stopped`);
      }
      this.started.set(name, child);
    } catch (error) {
      if (error instanceof DemoStepError) throw error;
      throw new DemoStepError(startFailure(name, url, error instanceof Error ? error.message : String(error)));
    } finally {
      this.starting.delete(starting);
    }
  }

  private environmentOf(name: ServiceName): Record<string, string> {
    const url = this.urlOf(name);
    const port = { [PORT_VARIABLES[name]]: String(portOf(url)) };
    const dataDir = resolve(this.config.dataDir);
    if (name === 'auth-server') {
      return { ...port, AUTH_SERVER_ISSUER: url, AUTH_SERVER_DATA_DIR: resolve(dataDir, 'auth-server') };
    }
    const { issuer, jwksUri, tokenEndpoint } = this.authServer;
    const resourceServer = { ...port, AUTH_ISSUER: issuer, AUTH_JWKS_URI: jwksUri };
    if (name === 'message-service') {
      return {
        ...resourceServer,
        MESSAGE_SERVICE_DATABASE: resolve(dataDir, 'message-service', 'messages.sqlite'),
        // The URL DPoP proofs name (htu): the one user-service and the demo call it at.
        MESSAGE_SERVICE_PUBLIC_URL: this.config.messageServiceUrl,
      };
    }
    return { ...resourceServer, AUTH_TOKEN_ENDPOINT: tokenEndpoint, MESSAGE_SERVICE_URL: this.config.messageServiceUrl };
  }

  private async discoverAuthServer(): Promise<AuthServerEndpoints> {
    const base = this.config.authServerUrl;
    const url = `${base}/.well-known/openid-configuration`;
    const answer = await httpCall(url, { timeoutMs: this.config.requestTimeoutMs });
    const metadata = answer.body as { issuer?: unknown; token_endpoint?: unknown; jwks_uri?: unknown } | undefined;
    if (
      answer.status !== 200 ||
      typeof metadata?.issuer !== 'string' ||
      typeof metadata.token_endpoint !== 'string' ||
      typeof metadata.jwks_uri !== 'string'
    ) {
      throw new DemoStepError(`the auth server's discovery document at ${url} is not usable (status ${answer.status})`);
    }
    return {
      issuer: metadata.issuer,
      tokenEndpoint: rebase(metadata.token_endpoint, base),
      jwksUri: rebase(metadata.jwks_uri, base),
    };
  }
}

function startFailure(name: ServiceName, url: string, message: string): string {
  if (message.includes('EADDRINUSE')) {
    return `${name} could not start: port ${portOf(url)} is already in use by a program that does not answer GET ${url}/health like ${name}. Stop it, or point the demo elsewhere (${name === 'auth-server' ? 'AUTH_SERVER_URL' : name === 'user-service' ? 'USER_SERVICE_URL' : 'MESSAGE_SERVICE_URL'})`;
  }
  if (message.includes('is missing: build it first')) {
    return `${name} is not built: run npx nx build ${name} (npm run demo builds all of them)`;
  }
  const firstLines = message.split('\n').slice(0, 12).join('\n    ');
  return `${name} did not start: ${firstLines}`;
}
