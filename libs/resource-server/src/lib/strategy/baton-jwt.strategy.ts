import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { Principal, VerifiedClaims } from '../principal';
import { installJoseVerifier, JoseVerified } from './passport-jwt-verifier.seam';
import { requestBinding } from './request-binding';

/** The Passport name of the strategy: `AuthGuard(BATON_JWT_STRATEGY)`. */
export const BATON_JWT_STRATEGY = 'baton-jwt';

/** The key callback passport-jwt hands `secretOrKeyProvider`; it accepts our verified result too. */
type KeyCallback = (error: unknown, key?: JoseVerified) => void;

/**
 * The `baton-jwt` Passport strategy: a passport-jwt `Strategy` whose verification runs in
 * `AccessTokenVerifier` (see it and the passport-jwt seam). It holds no configuration of its own:
 * the guard binds each request to its app's verifier, so one registration in Passport serves
 * every app of the process. `validate()` turns the verified claims into the `Principal`.
 */
@Injectable()
export class BatonJwtStrategy extends PassportStrategy(Strategy, BATON_JWT_STRATEGY) {
  constructor() {
    installJoseVerifier();
    const options = {
      jwtFromRequest: (request: object) => requestBinding(request)?.token ?? null,
      secretOrKeyProvider: (request: object, rawToken: string, done: KeyCallback) => {
        const binding = requestBinding(request);
        if (binding === undefined) {
          done(new Error('baton-jwt runs only behind AccessTokenGuard'));
          return;
        }
        binding.verifier.verify(rawToken, binding.challenge).then(
          (claims) => done(null, new JoseVerified(claims)),
          (error: unknown) => done(error),
        );
      },
      passReqToCallback: true,
    };
    // @types/passport-jwt types the provider's key as a string or Buffer; ours is a JoseVerified.
    super(options as unknown as ConstructorParameters<typeof Strategy>[0]);
  }

  validate(request: object, claims: VerifiedClaims): Principal {
    const binding = requestBinding(request);
    if (binding === undefined) throw new Error('baton-jwt runs only behind AccessTokenGuard');
    return {
      sub: claims.sub,
      clientId: claims.client_id,
      scopes: (claims.scope ?? '').split(' ').filter(Boolean),
      act: claims.act ?? null,
      token: binding.token,
      claims,
    };
  }
}

