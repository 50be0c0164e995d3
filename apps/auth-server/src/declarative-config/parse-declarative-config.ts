import { ExchangePolicyError, normalizeResource, parseExchangePolicy, TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/oidc-provider-token-exchange';
import { parseDocument } from 'yaml';
import { parsePasswordHash } from '../passwords/scrypt-password';
import {
  ClientCredentialsPolicyDefinition,
  ClientDefinition,
  DeclarativeConfig,
  IntrospectionPolicyDefinition,
  ResourceServerDefinition,
  TokenExchangePolicyDefinition,
  UserDefinition,
} from './declarative-config';
import { DeclarativeConfigError } from './declarative-config.error';
import { FieldReader, show } from './field-reader';

/** Grant types a client may list. */
export const SUPPORTED_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  TOKEN_EXCHANGE_GRANT_TYPE,
] as const;

/** OpenID Connect scopes the server knows besides the resource servers' own. */
export const OPENID_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** Grants that need client authentication, hence a secret. */
const CONFIDENTIAL_GRANTS = new Set<string>(['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE]);
const DEFAULT_ACCESS_TOKEN_TTL = 300;

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
const IDENTIFIER_TEXT = 'letters, digits and . _ : @ - (starting with a letter or digit)';
// RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const SCOPE_TEXT = 'a scope token (printable ASCII, no spaces, quotes or backslashes)';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Parses and validates the text of a declarative file (YAML; JSON is YAML too). Throws a
 * DeclarativeConfigError naming the first problem's place in the file.
 */
export function parseDeclarativeConfig(text: string, source: string): DeclarativeConfig {
  // prettyErrors adds "at line L, column C" to the first line of the message (and a code frame after it).
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) {
    throw new DeclarativeConfigError('', `not valid YAML/JSON: ${firstLine(syntaxError.message).replace(/:$/, '')}`);
  }
  const root = FieldReader.of(document.toJS() ?? {}, '', ['resourceServers', 'clients', 'users']);

  const resourceServers = root.list('resourceServers', readResourceServer, { required: true });
  checkUnique(resourceServers, 'resourceServers', 'audience', (server) => server.audience);
  checkUnique(resourceServers, 'resourceServers', 'resource', (server) => normalizeResource(server.resource));

  const known = new Known(resourceServers);
  const clients = root.list('clients', (item, path) => readClient(item, path, known), { required: true });
  checkUnique(clients, 'clients', 'clientId', (client) => client.clientId);

  const users = root.list('users', readUser);
  checkUnique(users, 'users', 'username', (user) => user.username);
  checkUsersAreNotClients(users, clients);

  return { source, resourceServers, clients, users };
}

class Known {
  readonly audiences: ReadonlySet<string>;
  readonly scopes: ReadonlySet<string>;

  constructor(readonly resourceServers: readonly ResourceServerDefinition[]) {
    this.audiences = new Set(resourceServers.map((server) => server.audience));
    this.scopes = new Set([...OPENID_SCOPES, ...resourceServers.flatMap((server) => server.scopes)]);
  }

  scopesOf(audiences: readonly string[]): Set<string> {
    return new Set(
      this.resourceServers.filter((server) => audiences.includes(server.audience)).flatMap((server) => server.scopes),
    );
  }
}

function readResourceServer(item: unknown, path: string): ResourceServerDefinition {
  const fields = FieldReader.of(item, path, ['audience', 'resource', 'scopes', 'accessTokenTtl']);
  const audience = fields.string('audience', { pattern: IDENTIFIER, expected: IDENTIFIER_TEXT });
  if (URL.canParse(audience) && /^[a-z][a-z0-9+.-]*:\/\//i.test(audience)) {
    fields.fail('audience', `must be a logical name, not a URI (put the URI in resource), got ${show(audience)}`);
  }
  return {
    audience,
    resource: readHttpUrl(fields, 'resource', { allowPath: true }),
    scopes: fields.stringList('scopes', { required: true, pattern: SCOPE_TOKEN, expected: SCOPE_TEXT }) ?? [],
    accessTokenTtl: fields.integer('accessTokenTtl', { min: 10, max: 86_400, default: DEFAULT_ACCESS_TOKEN_TTL }),
  };
}

function readClient(item: unknown, path: string, known: Known): ClientDefinition {
  const fields = FieldReader.of(item, path, [
    'clientId',
    'secret',
    'grantTypes',
    'redirectUris',
    'scopes',
    'defaultResource',
    'tokenExchange',
    'clientCredentials',
    'introspection',
  ]);
  const clientId = fields.string('clientId', { pattern: IDENTIFIER, expected: IDENTIFIER_TEXT });

  let secret: string | undefined;
  if (fields.has('secret')) {
    const value = fields.raw('secret');
    // A secret is never echoed back, not even when it is malformed.
    if (typeof value !== 'string' || value.trim() === '') return fields.fail('secret', 'must be a non-empty string');
    secret = value;
  }

  const grantTypes = fields.stringList('grantTypes', { required: true }) ?? [];
  grantTypes.forEach((grantType, index) => {
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grantType)) {
      throw new DeclarativeConfigError(
        `${fields.fieldPath('grantTypes')}[${index}]`,
        `unsupported grant type ${show(grantType)} (supported: ${SUPPORTED_GRANT_TYPES.join(', ')})`,
      );
    }
  });
  const confidentialGrant = grantTypes.find((grantType) => CONFIDENTIAL_GRANTS.has(grantType));
  if (secret === undefined && confidentialGrant !== undefined) {
    fields.fail('secret', `is required for grant type ${confidentialGrant} (a public client cannot authenticate)`);
  }
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) {
    fields.fail('grantTypes', 'refresh_token needs authorization_code (nothing else issues refresh tokens)');
  }

  const redirectUris = readRedirectUris(fields);
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    fields.fail('redirectUris', 'is required for grant type authorization_code');
  }
  if (!grantTypes.includes('authorization_code') && redirectUris.length > 0) {
    fields.fail('redirectUris', 'is only used by grant type authorization_code');
  }

  const scopes = fields.stringList('scopes', { required: true, pattern: SCOPE_TOKEN, expected: SCOPE_TEXT }) ?? [];
  scopes.forEach((scope, index) => {
    if (!known.scopes.has(scope)) {
      throw new DeclarativeConfigError(
        `${fields.fieldPath('scopes')}[${index}]`,
        `unknown scope ${show(scope)} (not an OpenID scope nor a scope of any resource server)`,
      );
    }
  });

  const defaultResource = fields.optionalString('defaultResource');
  if (defaultResource !== undefined && !known.audiences.has(defaultResource)) {
    fields.fail('defaultResource', `names no resource server: ${show(defaultResource)} (audiences: ${[...known.audiences].join(', ')})`);
  }

  let tokenExchange: TokenExchangePolicyDefinition | undefined;
  if (fields.has('tokenExchange')) {
    if (!grantTypes.includes(TOKEN_EXCHANGE_GRANT_TYPE)) {
      fields.fail('tokenExchange', `needs grant type ${TOKEN_EXCHANGE_GRANT_TYPE} in grantTypes`);
    }
    tokenExchange = readTokenExchangePolicy(fields.raw('tokenExchange'), fields.fieldPath('tokenExchange'), clientId, known);
  } else if (grantTypes.includes(TOKEN_EXCHANGE_GRANT_TYPE)) {
    fields.fail('tokenExchange', `is required for grant type ${TOKEN_EXCHANGE_GRANT_TYPE} (it names the targets)`);
  }

  const clientCredentials = readClientCredentialsPolicy(fields, clientId, grantTypes, defaultResource, known);
  const introspection = readIntrospectionPolicy(fields, clientId, secret !== undefined, known);

  return { clientId, secret, grantTypes, redirectUris, scopes, defaultResource, tokenExchange, clientCredentials, introspection };
}

/** `clientCredentials.targets`: where the client's own tokens may go (issue 11, H07). */
function readClientCredentialsPolicy(
  client: FieldReader,
  clientId: string,
  grantTypes: readonly string[],
  defaultResource: string | undefined,
  known: Known,
): ClientCredentialsPolicyDefinition | undefined {
  if (!grantTypes.includes('client_credentials')) {
    if (client.has('clientCredentials')) client.fail('clientCredentials', 'needs grant type client_credentials in grantTypes');
    return undefined;
  }
  const ownResource = defaultResource ?? (known.audiences.has(clientId) ? clientId : undefined);
  if (!client.has('clientCredentials')) {
    if (ownResource === undefined) {
      client.fail(
        'clientCredentials',
        `is required for grant type client_credentials: the client has no defaultResource and no resource server has the audience ${show(clientId)} to default to`,
      );
    }
    return { targets: [ownResource] };
  }
  const fields = FieldReader.of(client.raw('clientCredentials'), client.fieldPath('clientCredentials'), ['targets']);
  const targets = fields.stringList('targets', { required: true }) ?? [];
  checkKnownAudiences(fields, 'targets', targets, known);
  return { targets };
}

/** `introspection.audiences`: whose tokens a resource server's client may introspect (issue 11, H08). */
function readIntrospectionPolicy(client: FieldReader, clientId: string, confidential: boolean, known: Known): IntrospectionPolicyDefinition {
  if (!client.has('introspection')) {
    return { audiences: confidential && known.audiences.has(clientId) ? [clientId] : [] };
  }
  if (!confidential) {
    client.fail('introspection', 'needs a secret (a public client cannot prove it is the resource server)');
  }
  const fields = FieldReader.of(client.raw('introspection'), client.fieldPath('introspection'), ['audiences']);
  const audiences = fields.stringList('audiences') ?? [];
  checkKnownAudiences(fields, 'audiences', audiences, known);
  return { audiences };
}

function checkKnownAudiences(fields: FieldReader, name: string, audiences: readonly string[], known: Known): void {
  audiences.forEach((audience, index) => {
    if (!known.audiences.has(audience)) {
      throw new DeclarativeConfigError(
        `${fields.fieldPath(name)}[${index}]`,
        `names no resource server: ${show(audience)} (audiences: ${[...known.audiences].join(', ')})`,
      );
    }
  });
}

/**
 * Resource servers see a user and a client as the same principal when the user's `sub` equals
 * the client's id (issue 11, H09): a user named `user-service` would act as the service.
 */
function checkUsersAreNotClients(users: readonly UserDefinition[], clients: readonly ClientDefinition[]): void {
  const clientIndex = new Map(clients.map((client, index) => [client.clientId, index]));
  users.forEach((user, index) => {
    const client = clientIndex.get(user.username);
    if (client !== undefined) {
      throw new DeclarativeConfigError(
        `users[${index}].username`,
        `${show(user.username)} is also the clientId of clients[${client}]: a user and a client would be one principal at the resource servers`,
      );
    }
  });
}

/**
 * A client's `tokenExchange` block, parsed by the grant's own `parseExchangePolicy` (its defaults
 * live there once); its errors get the block's place in the file.
 */
function readTokenExchangePolicy(item: unknown, path: string, clientId: string, known: Known): TokenExchangePolicyDefinition {
  try {
    return parseExchangePolicy(item, { clientId, targets: known.resourceServers });
  } catch (error) {
    if (error instanceof ExchangePolicyError) {
      throw new DeclarativeConfigError(error.path === '' ? path : `${path}.${error.path}`, error.problem);
    }
    throw error;
  }
}

function readUser(item: unknown, path: string): UserDefinition {
  if (typeof item === 'object' && item !== null && 'password' in item) {
    throw new DeclarativeConfigError(`${path}.password`, 'passwords are never stored in clear: use passwordHash (npm run hash-password)');
  }
  const fields = FieldReader.of(item, path, ['username', 'passwordHash', 'name', 'email']);
  const username = fields.string('username', { pattern: IDENTIFIER, expected: IDENTIFIER_TEXT });
  const passwordHash = fields.string('passwordHash');
  if (parsePasswordHash(passwordHash) === undefined) {
    fields.fail('passwordHash', 'must be a scrypt hash from `npm run hash-password -- <password>` ($scrypt$ln=..,r=..,p=..$salt$hash)');
  }
  return {
    username,
    passwordHash,
    name: fields.optionalString('name'),
    email: fields.optionalString('email', { pattern: EMAIL, expected: 'an e-mail address' }),
  };
}

function readHttpUrl(fields: FieldReader, name: string, options: { allowPath: boolean }): string {
  const value = fields.string(name);
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    fields.fail(name, `must be an absolute http(s) URL, got ${show(value)}`);
  }
  if (url.hash !== '' || value.includes('#')) fields.fail(name, `must not have a fragment, got ${show(value)}`);
  if (!options.allowPath && url.pathname !== '/') fields.fail(name, `must not have a path, got ${show(value)}`);
  return value;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function readRedirectUris(fields: FieldReader): string[] {
  const uris = fields.stringList('redirectUris') ?? [];
  uris.forEach((uri, index) => {
    const path = `${fields.fieldPath('redirectUris')}[${index}]`;
    const url = URL.parse(uri);
    if (url === null || !/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
      throw new DeclarativeConfigError(path, `must be an absolute URL, got ${show(uri)}`);
    }
    if (uri.includes('#')) throw new DeclarativeConfigError(path, `must not have a fragment, got ${show(uri)}`);
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new DeclarativeConfigError(path, `plain http is only allowed for loopback hosts (127.0.0.1, localhost, [::1]), got ${show(uri)}`);
    }
    if (url.protocol === 'http:' && url.port !== '') {
      throw new DeclarativeConfigError(path, `a loopback redirect URI is registered without a port (any port matches, RFC 8252), got ${show(uri)}`);
    }
  });
  return uris;
}

function checkUnique<T>(items: readonly T[], listPath: string, field: string, key: (item: T) => string): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const value = key(item);
    const first = seen.get(value);
    if (first !== undefined) {
      throw new DeclarativeConfigError(`${listPath}[${index}].${field}`, `repeats ${show(value)} of ${listPath}[${first}]`);
    }
    seen.set(value, index);
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
