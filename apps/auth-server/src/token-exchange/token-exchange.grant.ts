import type { ActClaim } from '@baton/dto';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import type { KoaContextWithOIDC, ResourceServer, TokenEndpointGrantContext } from 'oidc-provider';
import { AccessTokenVerifier } from './access-token.verifier';
import { actChain, buildActClaim, checkActDepth, parseActClaim } from './act-claim';
import { checkImpersonation } from './check-impersonation';
import { checkMayAct } from './check-may-act';
import { checkNotSenderConstrained } from './check-not-sender-constrained';
import { checkSubjectAudience } from './check-subject-audience';
import { checkSubjectGrant } from './check-subject-grant';
import { exchangeExpiry } from './exchange-lifetime';
import type { ExchangeTarget } from './exchange-target';
import { ExchangeTargets } from './exchange-targets';
import { setExchangeTokenClaims } from './exchange-token-claims';
import { grantScope } from './grant-scope';
import { resolveTarget } from './resolve-target';
import type { TokenExchangeAuditFacts } from './token-exchange.audit';
import { TokenExchangeError } from './token-exchange.error';
import {
  parseTokenExchangeParameters,
  RawTokenExchangeParameters,
  TOKEN_EXCHANGE_PARAMETERS,
  TOKEN_EXCHANGE_REPEATABLE_PARAMETERS,
} from './token-exchange.parameters';
import type { TokenExchangePolicy } from './token-exchange.policy';
import { PublicJwksSource, VerificationKeys } from './verification-keys';

export const grantType = TOKEN_EXCHANGE_GRANT_TYPE;
export const parameters = TOKEN_EXCHANGE_PARAMETERS;
export const allowedDuplicateParameters = TOKEN_EXCHANGE_REPEATABLE_PARAMETERS;

/** What the grant needs from the auth server around it. */
export interface TokenExchangeGrantDependencies {
  /** The issuer; subject tokens must carry exactly this `iss`. */
  issuer: string;
  /** The server's public signing keys (the JWKS it publishes). */
  publicJwks: PublicJwksSource;
  /** A client's exchange policy with defaults applied; `undefined` when it has none. */
  policyFor(clientId: string): TokenExchangePolicy | undefined;
  /** Every registered resource server. */
  targets: Iterable<ExchangeTarget>;
  /**
   * oidc-provider resource server settings for a target (format `jwt`, signing algorithm).
   * Default: JWT access tokens with the provider's default signing algorithm.
   */
  resourceServerInfo?(target: ExchangeTarget): ResourceServer;
  /** Seconds since the epoch; injectable for tests. */
  now?(): number;
}

/** Where the handler leaves what it learnt, for the audit line written when the response is known. */
export type AuditFactsSink = (ctx: KoaContextWithOIDC, facts: TokenExchangeAuditFacts) => void;

/**
 * The RFC 8693 grant handler: verifies the subject (and actor) token, applies the client's
 * policy, and issues a JWT access token for one target with `act` recording who acts.
 */
export function createTokenExchangeHandler(
  dependencies: TokenExchangeGrantDependencies,
  recordFacts: AuditFactsSink,
): (ctx: TokenEndpointGrantContext) => Promise<void> {
  const now = dependencies.now ?? (() => Math.floor(Date.now() / 1000));
  const verifier = new AccessTokenVerifier({
    issuer: dependencies.issuer,
    keys: new VerificationKeys(dependencies.publicJwks),
    now,
  });
  const targets = new ExchangeTargets(dependencies.targets);
  const resourceServerInfo =
    dependencies.resourceServerInfo ??
    ((target: ExchangeTarget): ResourceServer => ({
      audience: target.audience,
      scope: target.scopes.join(' '),
      accessTokenTTL: target.accessTokenTtl,
      accessTokenFormat: 'jwt',
    }));

  return async function tokenExchangeHandler(ctx: TokenEndpointGrantContext): Promise<void> {
    const { client, provider } = ctx.oidc;
    const facts: TokenExchangeAuditFacts = { client: client.clientId };
    recordFacts(ctx, facts);

    const request = parseTokenExchangeParameters(ctx.oidc.params as RawTokenExchangeParameters);
    if (request.scope !== undefined) facts.scopeRequested = request.scope.join(' ');

    const policy = dependencies.policyFor(client.clientId);
    if (policy === undefined) {
      throw TokenExchangeError.unauthorizedClient('this client has no token-exchange policy');
    }
    facts.mode = policy.mode;

    const subject = verifier.verify(request.subjectToken, 'subject_token');
    await checkSubjectGrant(ctx, subject);
    facts.subjectSub = subject.sub;
    if (subject.jti !== undefined) facts.subjectJti = subject.jti;
    checkNotSenderConstrained(subject, 'subject_token');
    facts.fromAudience = checkSubjectAudience(subject, policy, 'subject_token');
    if (policy.mode === 'impersonation') checkImpersonation(subject, request);

    let actorSub = client.clientId;
    let actorExp: number | undefined;
    if (request.actorToken !== undefined) {
      if (!policy.allowActorToken) {
        throw TokenExchangeError.invalidRequest('this client may not present an actor_token');
      }
      const actor = verifier.verify(request.actorToken, 'actor_token');
      facts.actorSub = actor.sub;
      if (actor.jti !== undefined) facts.actorJti = actor.jti;
      checkNotSenderConstrained(actor, 'actor_token');
      checkSubjectAudience(actor, policy, 'actor_token');
      actorSub = actor.sub;
      actorExp = actor.exp;
    }

    checkMayAct(subject.mayAct, { sub: actorSub, clientId: client.clientId }, dependencies.issuer);
    // Impersonation records no actor: the issued token carries no `act` at all.
    let act: ActClaim | undefined;
    if (policy.mode === 'delegation') {
      act = buildActClaim(actorSub, parseActClaim(subject.act, 'subject_token'));
      facts.actChain = actChain(act);
      checkActDepth(act, policy.maxActDepth);
    }

    const target = resolveTarget(request, targets, policy);
    facts.toAudience = target.audience;

    const scopes = grantScope({
      ...(request.scope === undefined ? {} : { requested: request.scope }),
      subject: subject.scopes,
      target: target.scopes,
      ...(policy.maxScope === undefined ? {} : { policy: policy.maxScope }),
    });
    facts.scopeGranted = scopes.join(' ');

    const iat = now();
    const exp = exchangeExpiry({
      now: iat,
      targetTtl: target.accessTokenTtl,
      subjectExp: subject.exp,
      ...(actorExp === undefined ? {} : { actorExp }),
    });
    const token = new provider.AccessToken({
      client,
      accountId: subject.sub,
      resourceServer: new provider.ResourceServer(target.resource, resourceServerInfo(target)),
      scope: facts.scopeGranted,
      gty: grantType,
      // An exchange belongs to no authorization grant of this server; nothing can revoke it by grant.
      grantId: undefined as unknown as string,
      iat,
      exp,
    });
    if (act !== undefined) setExchangeTokenClaims(token, { act });
    ctx.oidc.entity('AccessToken', token);
    const accessToken = await token.save();
    facts.issuedJti = token.jti;
    facts.expiresIn = exp - iat;

    ctx.body = {
      access_token: accessToken,
      issued_token_type: request.requestedTokenType,
      token_type: 'Bearer',
      expires_in: exp - iat,
      scope: facts.scopeGranted,
    };
  };
}
