import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { ServerResponse } from 'node:http';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { ResourceServerError } from '../errors/resource-server.error';
import { Principal } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { BATON_JWT_STRATEGY, BatonJwtStrategy } from '../strategy/baton-jwt.strategy';
import { extractBearerToken, rememberRequestToken, ResourceServerRequest } from '../token/bearer-token';
import { toResourceServerError } from '../token/verification-failure';

/**
 * Global guard: every route needs a valid access token unless it is `@Public()`. Runs the
 * `baton-jwt` Passport strategy and answers refusals as RFC 6750 says (status, `error`,
 * `WWW-Authenticate`), or 503 with `Retry-After` when the issuer's keys cannot be fetched.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly logger = new Logger(AccessTokenGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: BatonJwtStrategy,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    // Secure by default: other transports (RPC, websockets) have no bearer token to check.
    if (context.getType() !== 'http') return false;

    const request = context.switchToHttp().getRequest<ResourceServerRequest>();
    const response = context.switchToHttp().getResponse<ServerResponse>();
    let token: string | undefined;
    try {
      token = extractBearerToken(request);
      rememberRequestToken(request, token);
      request.user = await this.authenticate(request, response);
      return true;
    } catch (error) {
      if (!(error instanceof ResourceServerError)) throw error;
      for (const [name, value] of Object.entries(error.headers(this.options.realm, this.options.resourceMetadataUrl))) response.setHeader(name, value);
      this.logger.debug(`Refused: ${error.error} (${error.description})${token ? ` token ${fingerprint(token)}` : ''}`);
      throw error;
    }
  }

  private authenticate(request: ResourceServerRequest, response: ServerResponse): Promise<Principal> {
    return new Promise((resolve, reject) => {
      const passport = this.strategy.getPassportInstance();
      const middleware = passport.authenticate(
        BATON_JWT_STRATEGY,
        { session: false },
        (error: unknown, principal: Principal | false, info: unknown) => {
          if (error) reject(error instanceof ResourceServerError ? error : toUnexpected(error));
          else if (!principal) reject(toResourceServerError(info));
          else resolve(principal);
        },
      );
      middleware(request, response, (error: unknown) => reject(error ?? new Error('Passport passed the request on')));
    });
  }
}

function toUnexpected(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Identifies a token in logs without revealing it. */
function fingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}
