import { ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { AuthGuard, AuthGuardAuthenticateOptions } from '@nestjs/passport';
import { createHash } from 'node:crypto';
import { SenderConstraint } from '../dpop/sender-constraint';
import { ResourceServerError } from '../errors/resource-server.error';
import { Principal } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { BATON_JWT_STRATEGY } from '../strategy/baton-jwt.strategy';
import { bindRequest } from '../strategy/request-binding';
import { extractAccessToken, ResourceServerRequest } from '../token/bearer-token';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { RouteAccessCache } from './route-access';

/**
 * A Passport JWT guard (`AuthGuard('baton-jwt')`): the route needs a valid access token unless it
 * is `@Public()`. Refusals are ResourceServerErrors carrying their RFC 6750 headers (401/400 with
 * `WWW-Authenticate`, 503 with `Retry-After` when the issuer's keys cannot be fetched); the guard
 * also sets those headers on the response, so even Nest's default exception filter answers right.
 *
 * Not installed by `ResourceServerModule`: register it globally
 * (`providers: [...ResourceServerModule.globalGuards()]`) or per controller
 * (`@UseGuards(AccessTokenGuard, ScopesGuard)`).
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard(BATON_JWT_STRATEGY) {
  private readonly logger = new Logger(AccessTokenGuard.name);
  private readonly routes: RouteAccessCache;

  constructor(
    reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
    private readonly senderConstraint: SenderConstraint,
  ) {
    super();
    this.routes = new RouteAccessCache(reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.routes.of(context).isPublic) return true;
    // Secure by default: other transports (RPC, websockets) have no bearer token to check.
    if (context.getType() !== 'http') return false;

    const request = context.switchToHttp().getRequest<ResourceServerRequest>();
    let token: string | undefined;
    try {
      const credentials = extractAccessToken(request, this.options, this.options.dpop !== undefined);
      token = credentials.token;
      bindRequest(request, { token, verifier: this.verifier, challenge: this.senderConstraint.challengeFor(credentials.scheme) });
      // AuthGuard answers with a promise; anything else would be a change of @nestjs/passport: refuse.
      if ((await super.canActivate(context)) !== true) return false;
      const principal = request.user as Principal;
      await this.senderConstraint.check(request, credentials, principal.claims);
      return true;
    } catch (error) {
      if (!(error instanceof ResourceServerError)) throw error;
      const response: unknown = context.switchToHttp().getResponse();
      for (const [name, value] of Object.entries(error.headers)) this.adapterHost.httpAdapter.setHeader(response, name, value);
      this.logger.debug(`Refused: ${error.error} (${error.description})${token ? ` token ${fingerprint(token)}` : ''}`);
      throw error;
    }
  }

  /** Passport's session and user property stay out of it, whatever the host's PassportModule says. */
  override getAuthenticateOptions(): AuthGuardAuthenticateOptions {
    return { session: false, property: 'user' };
  }

  /** Passport's outcome: the principal, or the refusal the strategy reported. */
  override handleRequest<TUser = Principal>(error: unknown, principal: unknown, info: unknown): TUser {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    if (!principal) {
      throw info instanceof ResourceServerError ? info : ResourceServerError.invalidToken('invalid', this.options);
    }
    return principal as TUser;
  }
}

/** Identifies a token in logs without revealing it. */
function fingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}
