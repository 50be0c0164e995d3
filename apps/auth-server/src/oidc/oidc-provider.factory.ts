import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Provider } from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { InjectAppConfig } from '@baton/config';
import { AccountsService } from '../accounts/accounts.service';
import { authServerConfig, AuthServerConfig, SIGNING_ALGORITHMS } from '../config/auth-server.config';
import { OPENID_SCOPES } from '../declarative-config/parse-declarative-config';
import { DeclarativeConfigService } from '../declarative-config/declarative-config.service';
import { errorPage, PAGE_HEADERS, signedOutPage, signOutPage } from '../interaction/interaction-pages';
import { CookieSecretsService } from '../keys/cookie-secrets.service';
import { SigningKeysService } from '../keys/signing-keys.service';
import { OidcAdapter } from '../persistence/oidc-adapter';
import { OidcStorage } from '../persistence/oidc-storage';
import * as clientCredentials from './client-credentials.grant';
import { toClientMetadata } from './client-metadata';
import { GrantReferences } from './grant-references';
import { introspectJwtAccessTokens } from './introspect-jwt-access-tokens';
import { IntrospectionRights, JwtIntrospection } from './jwt-introspection';
import { DISCOVERY_PATHS, ID_TOKEN_TTL_SECONDS, INTERACTION_PATH, OIDC_ROUTES } from './oidc.constants';
import { DpopSettings } from './dpop-settings';
import { OidcExtensionsService } from './oidc-extensions.service';
import { basicChallenge, errorAnswerOf, providerRefusal, replaceProviderKeys, rewriteErrorAnswer } from './provider-internals';
import type { PublicJwk } from '@baton/oidc-provider-token-exchange';
import { ResourceServersService } from './resource-servers.service';

const MINUTE = 60;
const DAY = 24 * 60 * MINUTE;

/**
 * Routes whose answers carry tokens or token facts: never stored by any cache, HTTP/1.0 ones
 * included (RFC 6749 §5.1, RFC 7662 §4), success or error alike.
 */
const NO_STORE_PATHS: ReadonlySet<string> = new Set([OIDC_ROUTES.token, OIDC_ROUTES.introspection, OIDC_ROUTES.revocation]);
const DISCOVERY: ReadonlySet<string> = new Set(DISCOVERY_PATHS);
/**
 * The discovery documents depend on the configuration only (their endpoints always come from the
 * issuer, see OidcFrontRoutes), so shared caches may keep them; five minutes bounds how long
 * a changed configuration takes to be seen.
 */
const DISCOVERY_CACHE_CONTROL = 'public, max-age=300';

/** Events whose errors are the client's doing: logged at debug with their code only. */
const CLIENT_ERROR_EVENTS = [
  'authorization.error',
  'grant.error',
  'introspection.error',
  'revocation.error',
  'userinfo.error',
  'end_session.error',
  'jwks.error',
  'discovery.error',
] as const;

/** Builds the oidc-provider `Provider` from the auth server's configuration, keys and store. */
@Injectable()
export class OidcProviderFactory {
  private readonly logger = new Logger('OidcProvider');

  constructor(
    @InjectAppConfig(authServerConfig) private readonly config: AuthServerConfig,
    private readonly declarativeConfig: DeclarativeConfigService,
    private readonly signingKeys: SigningKeysService,
    private readonly cookieSecrets: CookieSecretsService,
    private readonly storage: OidcStorage,
    private readonly accounts: AccountsService,
    private readonly resourceServers: ResourceServersService,
    private readonly extensions: OidcExtensionsService,
    private readonly dpop: DpopSettings,
  ) {}

  private readonly introspectionRights: IntrospectionRights = {
    audiencesFor: (clientId) => this.declarativeConfig.client(clientId)?.introspection.audiences ?? [],
  };

  private get httpsIssuer(): boolean {
    return new URL(this.config.issuer).protocol === 'https:';
  }

  create(): Provider {
    const grantReferences = new GrantReferences(this.cookieSecrets.secrets);
    const provider = new Provider(this.config.issuer, this.configuration(grantReferences));
    grantReferences.attachTo(provider);
    const introspection = new JwtIntrospection(this.config.issuer, () => this.signingKeys.publicJwks().keys as readonly PublicJwk[], this.introspectionRights);
    // An https issuer is usually served through a TLS-terminating proxy: trust its X-Forwarded-Proto,
    // or oidc-provider could not set the Secure cookies over the proxy's plain-http hop. Replicas
    // behind a load balancer (AUTH_SERVER_TRUST_PROXY) need its X-Forwarded-For, or every client
    // would have the balancer's address and share one per-address limit.
    provider.proxy = this.httpsIssuer || this.config.trustProxy;
    provider.registerGrantType(
      clientCredentials.grantType,
      clientCredentials.createClientCredentialsHandler(this.resourceServers, this.dpop.tokenEndpoint()),
      clientCredentials.parameters,
    );
    this.amendResponses(provider);
    // Registered after amendResponses: its answer gets the no-store headers like any other.
    introspectJwtAccessTokens(provider, introspection);
    this.logEvents(provider);
    // Key rotation: the provider signs with, and publishes, whatever the keys service holds now.
    this.signingKeys.onChange(() => replaceProviderKeys(provider, this.signingKeys.privateJwks()));
    return provider;
  }

  private configuration(grantReferences: GrantReferences): Configuration {
    const alg = this.signingKeys.algorithm;
    return {
      // SQLite or PostgreSQL, as AuthServerDatabase says (PersistenceModule provides the engine).
      adapter: (model: string) => new OidcAdapter(this.storage, model),
      clients: this.declarativeConfig.clients.map(toClientMetadata),
      clientDefaults: {
        grant_types: [],
        response_types: [],
        id_token_signed_response_alg: alg,
        token_endpoint_auth_method: 'client_secret_basic',
      },
      jwks: this.signingKeys.privateJwks() as Configuration['jwks'],
      cookies: {
        keys: [...this.cookieSecrets.secrets],
        // Secure whenever the issuer is https (production refuses an http issuer unless allowed).
        long: { httpOnly: true, sameSite: 'lax', secure: this.httpsIssuer },
        short: { httpOnly: true, sameSite: 'lax', secure: this.httpsIssuer },
      },
      scopes: [...OPENID_SCOPES],
      claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username'],
        email: ['email', 'email_verified'],
      },
      findAccount: (_ctx, sub) => this.accounts.findAccount(sub),
      responseTypes: ['code'],
      pkce: { required: () => true },
      routes: { ...OIDC_ROUTES },
      interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: {
          enabled: true,
          // oidc-provider's own (opaque) tokens: the client they were issued to, or a resource server
          // they are for. JWT access tokens are answered by JwtIntrospection with the same rule.
          allowedPolicy: async (_ctx, client, token) =>
            token.clientId === client.clientId ||
            audiencesOf(token).some((audience) => this.introspectionRights.audiencesFor(client.clientId).includes(audience)),
        },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        userinfo: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx, form) => {
            ctx.set(PAGE_HEADERS);
            ctx.body = signOutPage(form);
          },
          postLogoutSuccessSource: async (ctx) => {
            ctx.set(PAGE_HEADERS);
            ctx.body = signedOutPage();
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: this.resourceServers.defaultResource,
          getResourceServerInfo: this.resourceServers.getResourceServerInfo,
          // Refresh and code exchanges keep the granted resource: a user's token stays a JWT for
          // user-service even when `openid` was asked for.
          useGrantedResource: async () => true,
        },
        // RFC 9449 for oidc-provider's own grants (authorization_code, refresh_token) and its
        // resource endpoints; client_credentials and the exchange check proofs with the same
        // settings (DpopSettings), so nonces and replay records are one set for the token endpoint.
        dPoP: {
          enabled: true,
          nonceSecret: this.dpop.nonceSecret,
          requireNonce: () => this.dpop.requireNonce,
        },
        pushedAuthorizationRequests: { enabled: false },
      },
      enabledJWA: {
        idTokenSigningAlgValues: [...SIGNING_ALGORITHMS],
        userinfoSigningAlgValues: [...SIGNING_ALGORITHMS],
        introspectionSigningAlgValues: [...SIGNING_ALGORITHMS],
        authorizationSigningAlgValues: [...SIGNING_ALGORITHMS],
        dPoPSigningAlgValues: [...this.dpop.algorithms],
      },
      // Access tokens of a user's grant name it (sealed), so that the exchange can tell when it was revoked.
      extraTokenClaims: async (ctx, token) => {
        const claims = await this.extensions.extraTokenClaims(ctx, token);
        const reference = grantReferences.claimFor(ctx, token as { grantId?: string });
        return reference === undefined ? claims : { ...claims, ...reference };
      },
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      ttl: {
        AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 5 * MINUTE,
        ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 5 * MINUTE,
        AuthorizationCode: MINUTE,
        IdToken: ID_TOKEN_TTL_SECONDS,
        Interaction: 60 * MINUTE,
        Grant: 14 * DAY,
        Session: 14 * DAY,
        RefreshToken: 14 * DAY,
        BackchannelAuthenticationRequest: 10 * MINUTE,
        DeviceCode: 10 * MINUTE,
        PreAuthorizedCode: 10 * MINUTE,
      },
      clientBasedCORS: (_ctx, origin, client) =>
        client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
      renderError: async (ctx, out) => {
        ctx.type = 'html';
        ctx.set(PAGE_HEADERS);
        ctx.body = errorPage({
          title: 'Sign-in failed',
          message: String(out['error_description'] ?? 'The request could not be completed.'),
          code: String(out['error'] ?? 'server_error'),
        });
      },
    };
  }

  /**
   * Koa middleware around every oidc-provider route: `WWW-Authenticate` on every
   * `invalid_client` (RFC 6749 §5.2; oidc-provider adds it only for Basic), `unauthorized_client`
   * for a grant type the client may not use (RFC 6749 §5.2; oidc-provider says invalid_request),
   * the error id on a 500, a JSON 404 for unknown paths under /oauth2/, `no-store` and
   * `Pragma: no-cache` on every token, introspection and revocation answer (including the 429s
   * and 503s thrown on the way), and a cache lifetime on the discovery documents.
   */
  private amendResponses(provider: Provider): void {
    const issuer = this.config.issuer;
    provider.use(async (ctx, next) => {
      await next();
      if (NO_STORE_PATHS.has(ctx.path)) {
        ctx.set('Cache-Control', 'no-store');
        ctx.set('Pragma', 'no-cache');
      } else if (DISCOVERY.has(ctx.path)) {
        ctx.set('Cache-Control', ctx.status === 200 ? DISCOVERY_CACHE_CONTROL : 'no-store');
      }
      const body = ctx.body as Record<string, unknown> | undefined;
      const error = errorAnswerOf(ctx);
      if (ctx.status === 400 && providerRefusal(error) === 'grant_not_allowed') {
        rewriteErrorAnswer(ctx, { error: 'unauthorized_client' });
      }
      if (ctx.status === 401 && error?.['error'] === 'invalid_client' && !ctx.response.get('WWW-Authenticate')) {
        ctx.set('WWW-Authenticate', basicChallenge(issuer));
      }
      const errorId = (ctx.state as { errorId?: string }).errorId;
      if (ctx.status >= 500 && errorId !== undefined) {
        rewriteErrorAnswer(ctx, { error_id: errorId });
      }
      if (ctx.status === 404 && (body === undefined || body === null)) {
        ctx.status = 404;
        ctx.body = { error: 'not_found', message: 'No such endpoint' };
      }
    });
  }

  private logEvents(provider: Provider): void {
    provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => {
      const errorId = randomUUID();
      (ctx.state as { errorId?: string }).errorId = errorId;
      // One string argument: Nest's logger reads a second one as a stack trace.
      this.logger.error(`unexpected error ${errorId} at ${ctx.oidc?.route ?? 'unknown route'}: ${error.name}: ${error.message}`);
    });
    for (const event of CLIENT_ERROR_EVENTS) {
      // The typings declare these events one overload at a time; the listener fits them all.
      (provider.on as (name: string, listener: (...args: never[]) => void) => Provider)(
        event,
        (ctx: KoaContextWithOIDC, error: { error?: string; error_description?: string }) => {
          this.logger.debug({ event, route: ctx.oidc?.route, client: ctx.oidc?.client?.clientId, error: error.error, description: error.error_description });
        },
      );
    }
  }
}

/** The audiences an oidc-provider token is for (`aud` of its resource server, if any). */
function audiencesOf(token: object): string[] {
  const { aud, resourceServer } = token as { aud?: unknown; resourceServer?: { audience?: unknown } };
  const audience = aud ?? resourceServer?.audience;
  if (typeof audience === 'string') return [audience];
  return Array.isArray(audience) ? audience.filter((entry): entry is string => typeof entry === 'string') : [];
}
