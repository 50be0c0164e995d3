import { EXCHANGEABLE_TOKEN_TYPES, TokenTypeUri } from './token-exchange.constants';
import { TokenExchangeRefusal } from './token-exchange-refusal';

/** The request parameters of the grant (RFC 8693 §2.1); oidc-provider drops every other one. */
export const TOKEN_EXCHANGE_PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
] as const;

/** Only these may repeat (RFC 8693 §2.1); a repeated other parameter is `invalid_request`. */
export const TOKEN_EXCHANGE_REPEATABLE_PARAMETERS = ['audience', 'resource'] as const;

/**
 * Longest token accepted, in characters. Our access tokens are well under 2 KiB; refusing larger
 * input early keeps a hostile request from costing base64 and JSON work.
 */
export const MAX_TOKEN_LENGTH = 8192;

type RawValue = string | string[] | undefined;
export type RawTokenExchangeParameters = Partial<Record<(typeof TOKEN_EXCHANGE_PARAMETERS)[number], RawValue>>;

export interface TokenExchangeParameters {
  subjectToken: string;
  subjectTokenType: TokenTypeUri;
  actorToken?: string;
  actorTokenType?: TokenTypeUri;
  requestedTokenType: TokenTypeUri;
  audiences: string[];
  resources: string[];
  /** Requested scopes, de-duplicated; `undefined` when the request names none. */
  scope?: string[];
}

const KNOWN_TOKEN_TYPES = new Set<string>(Object.values(TokenTypeUri));
const EXCHANGEABLE = new Set<string>(EXCHANGEABLE_TOKEN_TYPES);

/** Validates the shape of a token-exchange request; no token is verified here. */
export function parseTokenExchangeParameters(raw: RawTokenExchangeParameters): TokenExchangeParameters {
  const subjectToken = single(raw, 'subject_token');
  const subjectTokenType = single(raw, 'subject_token_type');
  const actorToken = single(raw, 'actor_token');
  const actorTokenType = single(raw, 'actor_token_type');
  const requestedTokenType = single(raw, 'requested_token_type');
  const scope = single(raw, 'scope');

  if (subjectToken === undefined) throw TokenExchangeRefusal.invalidRequest('missing required parameter subject_token');
  if (subjectTokenType === undefined) {
    throw TokenExchangeRefusal.invalidRequest('missing required parameter subject_token_type');
  }
  if (actorToken !== undefined && actorTokenType === undefined) {
    throw TokenExchangeRefusal.invalidRequest('actor_token_type is required when actor_token is present');
  }
  if (actorToken === undefined && actorTokenType !== undefined) {
    throw TokenExchangeRefusal.invalidRequest('actor_token_type must not be present without actor_token');
  }
  checkLength('subject_token', subjectToken);
  if (actorToken !== undefined) checkLength('actor_token', actorToken);

  return {
    subjectToken,
    subjectTokenType: exchangeableType('subject_token_type', subjectTokenType),
    ...(actorToken !== undefined && actorTokenType !== undefined
      ? { actorToken, actorTokenType: exchangeableType('actor_token_type', actorTokenType) }
      : {}),
    requestedTokenType:
      requestedTokenType === undefined ? TokenTypeUri.accessToken : issuableType(requestedTokenType),
    audiences: many(raw, 'audience'),
    resources: many(raw, 'resource'),
    ...(scope === undefined ? {} : { scope: splitScope(scope) }),
  };
}

function single(raw: RawTokenExchangeParameters, name: keyof RawTokenExchangeParameters): string | undefined {
  const value = raw[name];
  if (Array.isArray(value)) throw TokenExchangeRefusal.invalidRequest(`'${name}' parameter must not be provided twice`);
  return value === undefined || value === '' ? undefined : value;
}

function many(raw: RawTokenExchangeParameters, name: 'audience' | 'resource'): string[] {
  const value = raw[name];
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  if (values.some((entry) => entry === '')) throw TokenExchangeRefusal.invalidTarget(`${name} must not be empty`);
  return [...new Set(values)];
}

function checkLength(name: string, token: string): void {
  if (token.length > MAX_TOKEN_LENGTH) {
    throw TokenExchangeRefusal.invalidRequest(`${name} is too large (more than ${MAX_TOKEN_LENGTH} characters)`);
  }
}

function exchangeableType(name: string, value: string): TokenTypeUri {
  if (EXCHANGEABLE.has(value)) return value as TokenTypeUri;
  if (KNOWN_TOKEN_TYPES.has(value)) {
    throw TokenExchangeRefusal.invalidRequest(
      `${name} ${value} is not supported: only access tokens issued by this server (${EXCHANGEABLE_TOKEN_TYPES.join(
        ' or ',
      )})`,
    );
  }
  throw TokenExchangeRefusal.invalidRequest(`${name} is not a supported token type identifier`);
}

/**
 * RFC 8693 §2.1: the type the client wants issued. This server issues access tokens only (a JWT
 * `at+jwt`, which both identifiers name); an ID token, a refresh token or a SAML assertion never.
 * An unknown value is not echoed: it is the client's input, and the answer names what is supported.
 */
function issuableType(value: string): TokenTypeUri {
  if (EXCHANGEABLE.has(value)) return value as TokenTypeUri;
  const supported = `this server issues only access tokens (${EXCHANGEABLE_TOKEN_TYPES.join(' or ')})`;
  throw TokenExchangeRefusal.invalidRequest(
    KNOWN_TOKEN_TYPES.has(value)
      ? `requested_token_type ${value} is not supported: ${supported}`
      : `requested_token_type is not a supported token type identifier: ${supported}`,
  );
}

function splitScope(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((entry) => entry !== ''))];
}
