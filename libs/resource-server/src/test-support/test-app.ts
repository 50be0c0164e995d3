import { Body, Controller, Get, INestApplication, NotFoundException, Post } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Type } from 'class-transformer';
import { IsInt, IsString, Length, Max, ValidateNested } from 'class-validator';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import { CurrentPrincipal } from '../lib/decorators/current-principal.decorator';
import { Public } from '../lib/decorators/public.decorator';
import { Scopes } from '../lib/decorators/scopes.decorator';
import { ApiExceptionFilter } from '../lib/http/api-exception.filter';
import { ApiValidationPipe } from '../lib/http/api-validation.pipe';
import { setUpApiDocs } from '../lib/http/api-docs';
import { Principal } from '../lib/principal';
import { ResourceServerModuleOptions } from '../lib/resource-server-options';
import { ResourceServerModule } from '../lib/resource-server.module';

class Address {
  @IsString()
  @Length(1, 10)
  city!: string;
}

class ProbeRequest {
  @IsString()
  @Length(1, 5)
  name!: string;

  @IsInt()
  @Max(10)
  count!: number;

  @ValidateNested()
  @Type(() => Address)
  address!: Address;
}

@Controller()
class ProbeController {
  @Public()
  @Get('boom')
  boom(): never {
    throw new Error('internal detail: password=hunter2');
  }

  @Public()
  @Get('missing')
  missing(): never {
    throw new NotFoundException();
  }

  @Public()
  @Post('validate')
  validate(@Body() body: ProbeRequest): ProbeRequest {
    return body;
  }

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

export interface RunningTestApp {
  readonly app: INestApplication;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A small Nest app using the module, listening on 127.0.0.1, for real HTTP requests; with
 * `apiDocs`, its OpenAPI document at /api/docs.json.
 */
export async function startTestApp(options: ResourceServerModuleOptions, apiDocs = false): Promise<RunningTestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [ResourceServerModule.forRoot(options)],
    controllers: [ProbeController, ScopedController],
    providers: [
      { provide: APP_FILTER, useClass: ApiExceptionFilter },
      { provide: APP_PIPE, useClass: ApiValidationPipe },
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  if (apiDocs) setUpApiDocs(app, { title: 'probe', description: 'A test resource server', version: '1.0.0' });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
