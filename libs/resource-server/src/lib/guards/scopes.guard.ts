import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { ResourceServerError } from '../errors/resource-server.error';
import { Principal } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { requestBinding } from '../strategy/request-binding';
import { RouteAccessCache } from './route-access';

/**
 * After AccessTokenGuard: the token must carry every scope `@Scopes(...)` names, else 403
 * `insufficient_scope` naming them. Registered with AccessTokenGuard, after it.
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  private readonly routes: RouteAccessCache;

  constructor(
    reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
  ) {
    this.routes = new RouteAccessCache(reflector);
  }

  canActivate(context: ExecutionContext): boolean {
    const { scopes: required, isPublic } = this.routes.of(context);
    if (!required || required.length === 0) return true;
    if (isPublic) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<{ user?: Principal }>();
    const principal = request.user;
    const error = !principal
      ? ResourceServerError.missingToken(this.options)
      : required.every((scope) => principal.scopes.includes(scope))
        ? undefined
        : // In the scheme the token came with (DPoP or Bearer), as AccessTokenGuard bound it.
          ResourceServerError.insufficientScope(required, requestBinding(request)?.challenge ?? this.options);
    if (!error) return true;
    const response: unknown = http.getResponse();
    for (const [name, value] of Object.entries(error.headers)) this.adapterHost.httpAdapter.setHeader(response, name, value);
    throw error;
  }
}
