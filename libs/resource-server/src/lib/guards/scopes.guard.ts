import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ServerResponse } from 'node:http';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { SCOPES_KEY } from '../decorators/scopes.decorator';
import { ResourceServerError } from '../errors/resource-server.error';
import { Principal } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';

/** Global guard after AccessTokenGuard: the token must carry every scope `@Scopes(...)` names. */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const required = this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets);
    if (!required || required.length === 0) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

    const http = context.switchToHttp();
    const principal = http.getRequest<{ user?: Principal }>().user;
    const error = !principal
      ? ResourceServerError.missingToken()
      : required.every((scope) => principal.scopes.includes(scope))
        ? undefined
        : ResourceServerError.insufficientScope(required);
    if (!error) return true;
    const response = http.getResponse<ServerResponse>();
    for (const [name, value] of Object.entries(error.headers(this.options.realm, this.options.resourceMetadataUrl))) response.setHeader(name, value);
    throw error;
  }
}
