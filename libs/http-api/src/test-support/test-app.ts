import { Body, Controller, Get, HttpException, INestApplication, NotFoundException, Post } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsInt, IsString, Length, Max, ValidateNested } from 'class-validator';
import { AddressInfo } from 'node:net';
import { CurrentPrincipal, Principal, Public, ResourceServerModule, ResourceServerModuleOptions, Scopes } from '@baton/resource-server';
import { setUpApiDocs } from '../lib/api-docs';
import { ApiExceptionFilter } from '../lib/api-exception.filter';
import { ApiValidationPipe } from '../lib/api-validation.pipe';

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

/** An error of a package following the headers contract (e.g. the token-exchange client's 503). */
class BusyError extends HttpException {
  readonly headers: Readonly<Record<string, string>> = { 'Retry-After': '7', 'X-Bad\r\nName': 'x', 'X-Split': 'a\r\nSet-Cookie: b=c' };
  /** What happened, for the log only (as the token-exchange client's errors carry it). */
  readonly detail = 'network_error:ECONNRESET\r\nforged line';

  constructor() {
    super({ error: 'temporarily_unavailable', message: 'Busy' }, 503);
  }
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
  @Get('busy')
  busy(): never {
    throw new BusyError();
  }

  @Public()
  @Post('validate')
  validate(@Body() body: ProbeRequest): ProbeRequest {
    return body;
  }

  @Public()
  @Get('public')
  open(): { public: true } {
    return { public: true };
  }

  @Get('me')
  me(@CurrentPrincipal() principal: Principal): { sub: string } {
    return { sub: principal.sub };
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
 * A Nest app with Baton's house conventions (the one filter, the validation pipe) and the
 * resource-server guards, listening on 127.0.0.1; with `apiDocs`, its OpenAPI document at /api/docs.json.
 */
export async function startTestApp(options: ResourceServerModuleOptions, apiDocs = false): Promise<RunningTestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [ResourceServerModule.forRoot(options)],
    controllers: [ProbeController, ScopedController],
    providers: [
      ...ResourceServerModule.globalGuards(),
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
