import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@baton/config';
import { freePort } from '@baton/testing';
import { AppModule } from '../../src/app.module';
import { authServerAppOptions } from '../../src/app-options';
import { authServerConfig, AuthServerConfig } from '../../src/config/auth-server.config';

export const DEMO_CONFIG_FILE = join(__dirname, '..', '..', 'config', 'demo.yaml');

export interface InProcessAuthServer {
  readonly app: INestApplication;
  readonly config: AuthServerConfig;
  /** `http://127.0.0.1:<port>`, also the issuer. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/**
 * The whole AppModule in this process, listening on 127.0.0.1 on a free port, with the demo
 * configuration, a fresh data folder and an in-memory database unless `env` says otherwise.
 */
export async function startInProcess(env: Record<string, string> = {}): Promise<InProcessAuthServer> {
  const port = await freePort();
  const ownDataDir = env['AUTH_SERVER_DATA_DIR'] === undefined ? mkdtempSync(join(tmpdir(), 'auth-server-test-')) : undefined;
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig(authServerConfig.schema, {
    AUTH_SERVER_PORT: String(port),
    AUTH_SERVER_ISSUER: baseUrl,
    AUTH_SERVER_CONFIG_FILE: DEMO_CONFIG_FILE,
    AUTH_SERVER_DATABASE: ':memory:',
    LOG_LEVEL: 'silent',
    ...(ownDataDir === undefined ? {} : { AUTH_SERVER_DATA_DIR: ownDataDir }),
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(authServerConfig.KEY)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication(authServerAppOptions(config));
  await app.listen(port, '127.0.0.1');
  return {
    app,
    config,
    baseUrl,
    close: async () => {
      await app.close();
      if (ownDataDir !== undefined) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs a form to the token endpoint; `basic` authenticates the client with HTTP Basic; `headers` adds others (`DPoP`). */
export async function postToken(
  baseUrl: string,
  form: Record<string, string>,
  basic?: { id: string; secret: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic === undefined ? {} : { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` }),
      ...headers,
    },
    body: new URLSearchParams(form),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** The payload of a JWT, unverified (tests verify separately). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
