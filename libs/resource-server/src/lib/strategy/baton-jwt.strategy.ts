import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { KeyObject } from 'node:crypto';
import { Passport } from 'passport';
import { Strategy } from 'passport-jwt';
import { ActClaim } from '@baton/dto';
import { ResourceServerError } from '../errors/resource-server.error';
import { JwksKeyStore } from '../jwks/jwks-key-store';
import { Principal, VerifiedClaims } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { readAccessTokenHeader } from '../token/token-header';
import { requestToken } from '../token/bearer-token';

export const BATON_JWT_STRATEGY = 'baton-jwt';

// Each strategy gets its own Passport instance: two apps in one process (tests do that) with
// different issuers or audiences must not replace each other's strategy in the global registry.
const passports = new WeakMap<object, InstanceType<typeof Passport>>();

const MAX_ACT_DEPTH = 16;

/**
 * passport-jwt verifies the signature (a key from the issuer's JWKS), the algorithm, `iss`, `aud`,
 * `exp` and `nbf` with the configured clock tolerance. What it leaves out is checked here: the key
 * lookup first checks the header (`alg` allowed, `typ` at+jwt), and `validate` requires `exp`,
 * `sub` and `client_id` (passport-jwt accepts a token without `exp`) and refuses an `iat` in the
 * future beyond the clock tolerance.
 */
@Injectable()
export class BatonJwtStrategy extends PassportStrategy(Strategy, BATON_JWT_STRATEGY) {
  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) options: ResolvedResourceServerOptions,
    keyStore: JwksKeyStore,
  ) {
    super({
      jwtFromRequest: (request: object) => requestToken(request),
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (error: unknown, key?: KeyObject) => void) => {
        let header;
        try {
          header = readAccessTokenHeader(rawToken, options.algorithms);
        } catch (error) {
          done(error);
          return;
        }
        keyStore.getKey(header.kid, header.alg).then(
          (key) => done(null, key),
          (error: unknown) => done(error),
        );
      },
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [...options.algorithms],
      passReqToCallback: true,
      jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds },
    } as ConstructorParameters<typeof Strategy>[0]);
    this.clockToleranceSeconds = options.clockToleranceSeconds;
  }

  private readonly clockToleranceSeconds: number;

  /** Called by @nestjs/passport's mixin while constructing, and by the guard to authenticate. */
  getPassportInstance(): InstanceType<typeof Passport> {
    let passport = passports.get(this);
    if (!passport) {
      passport = new Passport();
      passports.set(this, passport);
    }
    return passport;
  }

  validate(request: object, payload: unknown): Principal {
    if (typeof payload !== 'object' || payload === null) throw ResourceServerError.invalidToken('claims');
    const claims = payload as Record<string, unknown>;
    if (typeof claims['exp'] !== 'number') throw ResourceServerError.invalidToken('missingExpiry');
    // jsonwebtoken checks `exp` and `nbf` but not `iat`: a token "issued" a year ahead (a stolen
    // signing key, or an issuer whose clock ran away) is refused beyond the tolerance, as jose does.
    // Wall time on purpose: `iat` is a wall-clock claim.
    const iat = claims['iat'];
    if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw ResourceServerError.invalidToken('claims');
    if (typeof iat === 'number' && iat > Date.now() / 1000 + this.clockToleranceSeconds) {
      throw ResourceServerError.invalidToken('notYetValid');
    }
    if (typeof claims['sub'] !== 'string' || claims['sub'] === '') {
      throw ResourceServerError.invalidToken('missingSubject');
    }
    const clientId = claims['client_id'];
    const scope = claims['scope'] ?? '';
    const act = claims['act'] ?? null;
    if (typeof clientId !== 'string' || clientId === '' || typeof scope !== 'string') {
      throw ResourceServerError.invalidToken('claims');
    }
    if (act !== null && !isActClaim(act, 0)) throw ResourceServerError.invalidToken('claims');
    const token = requestToken(request);
    if (token === null) throw ResourceServerError.missingToken();
    return {
      sub: claims['sub'],
      clientId,
      scopes: scope.split(' ').filter(Boolean),
      act,
      token,
      claims: claims as VerifiedClaims,
    };
  }
}

function isActClaim(value: unknown, depth: number): value is ActClaim {
  if (depth >= MAX_ACT_DEPTH || typeof value !== 'object' || value === null) return false;
  const { sub, act } = value as Record<string, unknown>;
  return typeof sub === 'string' && sub !== '' && (act === undefined || isActClaim(act, depth + 1));
}
