import type { KoaContextWithOIDC, ResourceServer, TokenEndpointGrantContext } from 'oidc-provider';
import type { TokenExchangeAuditFacts } from '../audit/token-exchange.audit';
import { actChain, ActClaim, buildActClaim, checkActDepth, parseActClaim } from '../checks/act-claim';
import { checkImpersonation } from '../checks/check-impersonation';
import { checkMayAct } from '../checks/check-may-act';
import { checkSenderConstraint } from '../checks/check-sender-constraint';
import { checkSubjectAudience } from '../checks/check-subject-audience';
import { DpopOptions, TokenEndpointDpop } from '../dpop/token-endpoint-dpop';
import type { TokenExchangePolicy } from '../policy/token-exchange-policy';
import type { ExchangeTarget } from '../targets/exchange-target';
import { ExchangeTargets } from '../targets/exchange-targets';
import { resolveTarget } from '../targets/resolve-target';
import { AccessTokenVerifier } from '../verification/access-token.verifier';
import type { VerifiedAccessToken } from '../verification/verified-access-token';
import { PublicJwk, PublicJwksSource, VerificationKeys } from '../verification/verification-keys';
import { exchangeExpiry } from './exchange-lifetime';
import { setExchangeTokenClaims } from './exchange-token-claims';
import { grantScope } from './grant-scope';
import { TOKEN_EXCHANGE_GRANT_TYPE } from './token-exchange.constants';
import { TokenExchangeRefusal } from './token-exchange-refusal';
import {
  parseTokenExchangeParameters,
  RawTokenExchangeParameters,
  TOKEN_EXCHANGE_PARAMETERS,
  TOKEN_EXCHANGE_REPEATABLE_PARAMETERS,
} from './token-exchange.parameters';

export const grantType = TOKEN_EXCHANGE_GRANT_TYPE;
export const parameters = TOKEN_EXCHANGE_PARAMETERS;
export const allowedDuplicateParameters = TOKEN_EXCHANGE_REPEATABLE_PARAMETERS;

/** What the grant needs from the provider around it. */
export interface TokenExchangeGrantDependencies {
  /** The issuer; subject tokens must carry exactly this `iss`. Default: `provider.issuer`. */
  issuer?: string;
  /**
   * The provider's public signing keys (the JWKS it publishes), as a list or a function called on
   * every exchange (cheap: keys are imported once per `kid`). `toPublicJwks(privateJwks)` derives
   * them from the JWKS given to `new Provider(...)`.
   */
  publicJwks: PublicJwksSource | readonly PublicJwk[];
  /** A client's exchange policy with defaults applied; `undefined` when it has none (`unauthorized_client`). */
  policyFor(clientId: string): TokenExchangePolicy | undefined;
  /** Every resource server tokens may be exchanged for; read once, when the grant is registered. */
  targets: Iterable<ExchangeTarget>;
  /**
   * oidc-provider resource server settings for a target (format, signing algorithm).
   * Default: JWT access tokens with the provider's default signing algorithm.
   */
  resourceServerInfo?(target: ExchangeTarget): ResourceServer;
  /**
   * A further check of the verified subject token, run right after its signature and lifetime
   * (e.g. that the user's grant it was issued under still lives). Throw a `TokenExchangeRefusal`
   * to refuse; any other error answers `server_error`.
   */
  checkSubject?(subject: VerifiedAccessToken, ctx: KoaContextWithOIDC): void | Promise<void>;
  /**
   * DPoP (RFC 9449): a request with a valid `DPoP` proof gets a token bound to the proof's key
   * (`cnf.jkt`, `token_type: DPoP`); a policy's `requireDpop` refuses exchanges without one. Always
   * on; these options tune it (algorithms, `iat` window, server nonces, replay records).
   */
  dpop?: DpopOptions;
  /** Seconds since the epoch; injectable for tests. */
  now?(): number;
}

/** Where the handler leaves what it learnt, for the audit entry written when the response is known. */
export type AuditFactsSink = (ctx: KoaContextWithOIDC, facts: TokenExchangeAuditFacts) => void;

/**
 * The RFC 8693 grant handler: verifies the subject (and actor) token, applies the client's
 * policy, and issues a JWT access token for one target with `act` recording who acts.
 */
export function createTokenExchangeHandler(
  dependencies: TokenExchangeGrantDependencies & { issuer: string },
  recordFacts: AuditFactsSink,
): (ctx: TokenEndpointGrantContext) => Promise<void> {
  const now = dependencies.now ?? (() => Math.floor(Date.now() / 1000));
  const { publicJwks } = dependencies;
  const verifier = new AccessTokenVerifier({
    issuer: dependencies.issuer,
    keys: new VerificationKeys(typeof publicJwks === 'function' ? publicJwks : () => publicJwks),
    now,
  });
  const targets = new ExchangeTargets(dependencies.targets);
  const dpop = new TokenEndpointDpop(dependencies.dpop, now);
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
      throw TokenExchangeRefusal.unauthorizedClient('this client has no token-exchange policy');
    }
    facts.mode = policy.mode;

    // A proof sent is checked before the tokens, as oidc-provider does for its own grants; its jti is consumed last.
    const proof = dpop.validate(ctx);
    if (proof !== undefined) facts.dpopJkt = proof.thumbprint;

    const subject = verifier.verify(request.subjectToken, 'subject_token');
    if (dependencies.checkSubject !== undefined) await dependencies.checkSubject(subject, ctx);
    facts.subjectSub = subject.sub;
    if (subject.jti !== undefined) facts.subjectJti = subject.jti;
    checkSenderConstraint(subject, 'subject_token', proof?.thumbprint);
    facts.fromAudience = checkSubjectAudience(subject, policy, 'subject_token');
    if (policy.mode === 'impersonation') checkImpersonation(subject, request);

    let actorSub = client.clientId;
    let actorExp: number | undefined;
    if (request.actorToken !== undefined) {
      if (!policy.allowActorToken) {
        throw TokenExchangeRefusal.invalidRequest('this client may not present an actor_token');
      }
      const actor = verifier.verify(request.actorToken, 'actor_token');
      facts.actorSub = actor.sub;
      if (actor.jti !== undefined) facts.actorJti = actor.jti;
      checkSenderConstraint(actor, 'actor_token', proof?.thumbprint);
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
    // Last of the checks: a request wrong in other ways is told so first, as without the policy.
    if (proof === undefined && policy.requireDpop === true) {
      throw TokenExchangeRefusal.invalidDpopProof('this client must send a DPoP proof with every exchange');
    }

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
    if (proof !== undefined) {
      await dpop.consume(ctx, client.clientId, proof);
      // RFC 9449 §6.1: `cnf.jkt` in the JWT; the token type becomes DPoP.
      token.setThumbprint('jkt', proof.thumbprint);
    }
    ctx.oidc.entity('AccessToken', token);
    const accessToken = await token.save();
    if (act !== undefined) checkActWasIssued(accessToken, act);
    facts.issuedJti = token.jti;
    facts.expiresIn = exp - iat;

    ctx.body = {
      access_token: accessToken,
      issued_token_type: request.requestedTokenType,
      token_type: token.tokenType,
      expires_in: exp - iat,
      scope: facts.scopeGranted,
    };
  };
}

/**
 * A delegation token without its `act` would look like impersonation at every resource server.
 * oidc-provider puts extra claims in a JWT only through its `extraTokenClaims` configuration, which
 * the grant cannot set; so the issued JWT is read back, and a provider configured without
 * `exchangeTokenClaims` answers `server_error` instead of issuing it. (An opaque token is left alone.)
 */
function checkActWasIssued(accessToken: string, act: ActClaim): void {
  const parts = accessToken.split('.');
  if (parts.length !== 3) return;
  let issued: unknown;
  try {
    issued = (JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as { act?: unknown }).act;
  } catch {
    issued = undefined;
  }
  if (JSON.stringify(issued) !== JSON.stringify(act)) {
    throw new Error(
      "the issued token lacks the exchange's act claim: the provider's extraTokenClaims must return exchangeTokenClaims(token)",
    );
  }
}
