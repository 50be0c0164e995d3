import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ResourceServerError } from '../errors/resource-server.error';

/**
 * Answers a ResourceServerError: its status, `{ error, message }` and its headers. For hosts
 * without a catch-all exception filter of their own; a host that has one only needs it to set the
 * `headers` of the HttpExceptions it answers. Not registered by the module: add it with
 * `app.useGlobalFilters(new ResourceServerExceptionFilter(app.get(HttpAdapterHost)))` or
 * `{ provide: APP_FILTER, useClass: ResourceServerExceptionFilter }`.
 */
@Catch(ResourceServerError)
export class ResourceServerExceptionFilter implements ExceptionFilter<ResourceServerError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: ResourceServerError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(error.headers)) httpAdapter.setHeader(response, name, value);
    httpAdapter.reply(response, { error: error.error, message: error.description }, error.getStatus());
  }
}
