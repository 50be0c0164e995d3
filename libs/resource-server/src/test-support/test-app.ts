import { Controller, Get, INestApplication, Post, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import { CurrentPrincipal } from '../lib/decorators/current-principal.decorator';
import { Public } from '../lib/decorators/public.decorator';
import { Scopes } from '../lib/decorators/scopes.decorator';
import { ResourceServerExceptionFilter } from '../lib/filters/resource-server-exception.filter';
import { AccessTokenGuard } from '../lib/guards/access-token.guard';
import { ScopesGuard } from '../lib/guards/scopes.guard';
import { Principal } from '../lib/principal';
import { ResourceServerModuleOptions } from '../lib/resource-server-options';
import { ResourceServerModule } from '../lib/resource-server.module';

@Controller()
class ProbeController {
  @Public()
  @Get('public')
  open(@CurrentPrincipal() principal: Principal | undefined): { public: true; principal: boolean } {
    return { public: true, principal: principal !== undefined };
  }

  @Get('me')
  me(@CurrentPrincipal() principal: Principal): Omit<Principal, 'claims'> & { jti: unknown } {
    return {
      sub: principal.sub,
      clientId: principal.clientId,
      scopes: principal.scopes,
      act: principal.act,
      token: principal.token,
      jti: principal.claims.jti,
    };
  }

  @Scopes('message.read')
  @Get('read')
  read(): { ok: true } {
    return { ok: true };
  }

  @Scopes('message.read', 'message.write')
  @Post('write')
  write(): { ok: true } {
    return { ok: true };
  }
}

@Scopes('message.write')
@Controller('scoped')
class ScopedController {
  @Get()
  inherited(): { ok: true } {
    return { ok: true };
  }

  @Scopes('message.read')
  @Get('override')
  overridden(): { ok: true } {
    return { ok: true };
  }
}

/** Guarded per controller, in an app that registers no global guard. */
@UseGuards(AccessTokenGuard, ScopesGuard)
@Controller('guarded')
class GuardedController {
  @Scopes('message.read')
  @Get()
  guarded(@CurrentPrincipal() principal: Principal): { sub: string } {
    return { sub: principal.sub };
  }
}

/** No guard at all: what a route of the host app is when the module is merely imported. */
@Controller('unguarded')
class UnguardedController {
  @Get()
  unguarded(@CurrentPrincipal() principal: Principal | undefined): { principal: boolean } {
    return { principal: principal !== undefined };
  }
}

export interface RunningTestApp {
  readonly app: INestApplication;
  readonly url: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** `global` (default): the guards app-wide; `per-controller`: only GuardedController is guarded. */
  guards?: 'global' | 'per-controller';
  /** `nest` (default): Nest's own exception filter only; `package`: ResourceServerExceptionFilter too. */
  filter?: 'nest' | 'package';
}

/**
 * A small Nest app importing the module, listening on 127.0.0.1, for real HTTP requests. No
 * exception filter unless asked: the guards' answers must be right with Nest's default one.
 */
export async function startTestApp(options: ResourceServerModuleOptions, app: TestAppOptions = {}): Promise<RunningTestApp> {
  const perController = app.guards === 'per-controller';
  const moduleRef = await Test.createTestingModule({
    imports: [ResourceServerModule.forRoot(options)],
    controllers: perController ? [GuardedController, UnguardedController] : [ProbeController, ScopedController],
    providers: perController ? [] : ResourceServerModule.globalGuards(),
  }).compile();
  const nest = moduleRef.createNestApplication({ logger: false });
  if (app.filter === 'package') nest.useGlobalFilters(new ResourceServerExceptionFilter(nest.get(HttpAdapterHost)));
  await nest.listen(0, '127.0.0.1');
  const { port } = nest.getHttpServer().address() as AddressInfo;
  return { app: nest, url: `http://127.0.0.1:${port}`, close: () => nest.close() };
}
