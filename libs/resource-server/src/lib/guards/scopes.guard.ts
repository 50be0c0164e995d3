import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { SCOPES_KEY } from '../decorators/scopes.decorator';
import { ResourceServerError } from '../errors/resource-server.error';
import { Principal } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { requestBinding } from '../strategy/request-binding';

/**
 * After AccessTokenGuard: the token must carry every scope `@Scopes(...)` names, else 403
 * `insufficient_scope` naming them. Registered with AccessTokenGuard, after it.
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const required = this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets);
    if (!required || required.length === 0) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

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
