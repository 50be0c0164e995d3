import { Inject } from '@nestjs/common';

/** Injection token of the oidc-provider `Provider` instance. */
export const OIDC_PROVIDER = 'OIDC_PROVIDER';

/** Parameter decorator injecting the oidc-provider `Provider`. */
export const InjectOidcProvider = (): ParameterDecorator => Inject(OIDC_PROVIDER);

/** Every oidc-provider endpoint lives under `/oauth2/`; discovery under `/.well-known/`. */
export const OIDC_ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  jwks: '/oauth2/jwks',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  userinfo: '/oauth2/userinfo',
  end_session: '/oauth2/end_session',
  // Disabled features keep their routes under /oauth2/ too, so nothing can ever appear elsewhere.
  pushed_authorization_request: '/oauth2/par',
  registration: '/oauth2/register',
  code_verification: '/oauth2/device',
  device_authorization: '/oauth2/device/auth',
  backchannel_authentication: '/oauth2/backchannel',
  challenge: '/oauth2/challenge',
  credential: '/oauth2/credential',
} as const;

export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

/** Login and consent pages (served by Nest, not by oidc-provider). */
export const INTERACTION_PATH = '/interaction';

/** Lifetime of ID tokens, in seconds; key rotation keeps a retired key published at least this long. */
export const ID_TOKEN_TTL_SECONDS = 60 * 60;
