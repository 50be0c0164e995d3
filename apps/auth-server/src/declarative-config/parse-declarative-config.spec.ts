import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import { stringify } from 'yaml';
import { DeclarativeConfigError } from './declarative-config.error';
import { loadDeclarativeConfig } from './load-declarative-config';
import { parseDeclarativeConfig } from './parse-declarative-config';

const DEMO_FILE = join(__dirname, '..', '..', 'config', 'demo.yaml');
const HASH = '$scrypt$ln=15,r=8,p=1$SDCOOFnbL58AzDn79yWJ8w$yTAknwA9lttDsEH62QJZRVP7JQjS6bOjFxSGH8aBXfQ';

/** A small valid configuration to break one field at a time. */
function valid(): Record<string, unknown[]> {
  return {
    resourceServers: [
      { audience: 'user-service', resource: 'http://localhost:8080', scopes: ['user.read', 'message.read'] },
      { audience: 'message-service', resource: 'http://localhost:8081', scopes: ['message.read'], accessTokenTtl: 120 },
    ],
    clients: [
      {
        clientId: 'user-service',
        secret: 'secret',
        grantTypes: ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE],
        scopes: ['user.read'],
        tokenExchange: { targets: ['message-service'] },
      },
      {
        clientId: 'demo-app',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1/callback'],
        scopes: ['openid', 'user.read'],
        defaultResource: 'user-service',
      },
    ],
    users: [{ username: 'alice', passwordHash: HASH }],
  };
}

function problem(config: unknown): string {
  try {
    parseDeclarativeConfig(typeof config === 'string' ? config : stringify(config), '/x.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(DeclarativeConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

function edit(change: (config: ReturnType<typeof valid>) => void): ReturnType<typeof valid> {
  const config = valid();
  change(config);
  return config;
}

const client = (config: ReturnType<typeof valid>, index: number): Record<string, unknown> => config.clients[index] as Record<string, unknown>;

describe('the declarative configuration file', () => {
  it('loads the checked-in demo file with defaults applied', () => {
    const config = loadDeclarativeConfig(DEMO_FILE);
    expect(config.resourceServers.map((server) => [server.audience, server.resource, server.accessTokenTtl])).toEqual([
      ['user-service', 'http://localhost:8080', 300],
      ['message-service', 'http://localhost:8081', 300],
    ]);
    expect(config.clients.find((c) => c.clientId === 'user-service')?.tokenExchange).toEqual({
      subjectAudiences: ['user-service'],
      targets: ['message-service'],
      maxScope: ['message.read', 'message.write'],
      allowActorToken: false,
      maxActDepth: 1,
      mode: 'delegation',
      requireDpop: true,
    });
    // The seed's Spring registration (client-id message-service, secret token, scope message.read).
    expect(config.clients.find((c) => c.clientId === 'message-service')).toMatchObject({
      secret: 'token',
      grantTypes: [TOKEN_EXCHANGE_GRANT_TYPE],
      scopes: ['message.read'],
      tokenExchange: { subjectAudiences: ['user-service'], targets: ['message-service'], mode: 'delegation' },
    });
    const demoApp = config.clients.find((c) => c.clientId === 'demo-app');
    expect(demoApp).toMatchObject({ secret: undefined, defaultResource: 'user-service', tokenExchange: undefined });
    expect(config.users.map((user) => user.username)).toEqual(['alice', 'bob']);
  });

  it('accepts JSON as well', () => {
    expect(parseDeclarativeConfig(JSON.stringify(valid()), '/x.json').clients).toHaveLength(2);
  });

  it('reads defaultTarget and mode, delegation by default', () => {
    const config = parseDeclarativeConfig(
      stringify(
        edit((c) => {
          c.resourceServers.push({ audience: 'billing', resource: 'http://localhost:8082', scopes: ['billing.read'] });
          client(c, 0)['tokenExchange'] = { targets: ['message-service', 'billing'], defaultTarget: 'billing', mode: 'impersonation' };
        }),
      ),
      '/x.yaml',
    );
    expect(config.clients[0]?.tokenExchange).toMatchObject({ defaultTarget: 'billing', mode: 'impersonation' });
    const defaulted = parseDeclarativeConfig(stringify(valid()), '/x.yaml').clients[0]?.tokenExchange;
    expect(defaulted).toMatchObject({ mode: 'delegation' });
    expect(defaulted).not.toHaveProperty('defaultTarget');
  });

  it('defaults subjectAudiences to the client’s own audience', () => {
    const config = parseDeclarativeConfig(stringify(valid()), '/x.yaml');
    expect(config.clients[0]?.tokenExchange?.subjectAudiences).toEqual(['user-service']);
  });

  it.each<[string, unknown, string]>([
    ['unknown top-level field', edit((c) => Object.assign(c, { extra: [] })), 'extra: unknown field (allowed: resourceServers, clients, users)'],
    [
      'unknown client field',
      edit((c) => Object.assign(client(c, 1), { secrett: 'x' })),
      'clients[1].secrett: unknown field (allowed: clientId, secret, grantTypes, redirectUris, scopes, defaultResource, tokenExchange, clientCredentials, introspection)',
    ],
    [
      'missing secret for client_credentials',
      edit((c) => delete client(c, 0)['secret']),
      'clients[0].secret: is required for grant type client_credentials (a public client cannot authenticate)',
    ],
    ['empty secret', edit((c) => (client(c, 0)['secret'] = ' ')), 'clients[0].secret: must be a non-empty string'],
    [
      'resource that is not a URL',
      edit((c) => ((c.resourceServers[0] as Record<string, unknown>)['resource'] = 'localhost:8080')),
      'resourceServers[0].resource: must be an absolute http(s) URL, got "localhost:8080"',
    ],
    [
      'audience that is a URI',
      edit((c) => ((c.resourceServers[0] as Record<string, unknown>)['audience'] = 'http://x')),
      'resourceServers[0].audience: must be letters, digits and . _ : @ - (starting with a letter or digit), got "http://x"',
    ],
    [
      'duplicate audience',
      edit((c) => ((c.resourceServers[1] as Record<string, unknown>)['audience'] = 'user-service')),
      'resourceServers[1].audience: repeats "user-service" of resourceServers[0]',
    ],
    [
      'duplicate resource (normalised)',
      edit((c) => ((c.resourceServers[1] as Record<string, unknown>)['resource'] = 'http://localhost:8080/')),
      'resourceServers[1].resource: repeats "http://localhost:8080/" of resourceServers[0]',
    ],
    [
      'TTL out of range',
      edit((c) => ((c.resourceServers[1] as Record<string, unknown>)['accessTokenTtl'] = 0)),
      'resourceServers[1].accessTokenTtl: must be a whole number from 10 to 86400, got 0',
    ],
    [
      'scope with a space',
      edit((c) => ((c.resourceServers[1] as Record<string, unknown>)['scopes'] = ['a b'])),
      'resourceServers[1].scopes[0]: must be a scope token (printable ASCII, no spaces, quotes or backslashes), got "a b"',
    ],
    [
      'unsupported grant type',
      edit((c) => (client(c, 0)['grantTypes'] = ['token-exchange'])),
      `clients[0].grantTypes[0]: unsupported grant type "token-exchange" (supported: authorization_code, refresh_token, client_credentials, ${TOKEN_EXCHANGE_GRANT_TYPE})`,
    ],
    [
      'redirect URI that is not a URL',
      edit((c) => (client(c, 1)['redirectUris'] = ['not a url'])),
      'clients[1].redirectUris[0]: must be an absolute URL, got "not a url"',
    ],
    [
      'plain http redirect URI off loopback',
      edit((c) => (client(c, 1)['redirectUris'] = ['http://app.example/cb'])),
      'clients[1].redirectUris[0]: plain http is only allowed for loopback hosts (127.0.0.1, localhost, [::1]), got "http://app.example/cb"',
    ],
    [
      'loopback redirect URI with a port',
      edit((c) => (client(c, 1)['redirectUris'] = ['http://127.0.0.1:8000/cb'])),
      'clients[1].redirectUris[0]: a loopback redirect URI is registered without a port (any port matches, RFC 8252), got "http://127.0.0.1:8000/cb"',
    ],
    [
      'authorization_code without redirect URIs',
      edit((c) => delete client(c, 1)['redirectUris']),
      'clients[1].redirectUris: is required for grant type authorization_code',
    ],
    [
      'refresh_token alone',
      edit((c) => (client(c, 0)['grantTypes'] = ['client_credentials', 'refresh_token', TOKEN_EXCHANGE_GRANT_TYPE])),
      'clients[0].grantTypes: refresh_token needs authorization_code (nothing else issues refresh tokens)',
    ],
    ['unknown scope', edit((c) => (client(c, 1)['scopes'] = ['openid', 'admin'])), 'clients[1].scopes[1]: unknown scope "admin" (not an OpenID scope nor a scope of any resource server)'],
    [
      'unknown default resource',
      edit((c) => (client(c, 1)['defaultResource'] = 'billing')),
      'clients[1].defaultResource: names no resource server: "billing" (audiences: user-service, message-service)',
    ],
    [
      'token-exchange grant without a policy',
      edit((c) => delete client(c, 0)['tokenExchange']),
      `clients[0].tokenExchange: is required for grant type ${TOKEN_EXCHANGE_GRANT_TYPE} (it names the targets)`,
    ],
    [
      'policy without the grant',
      edit((c) => (client(c, 0)['grantTypes'] = ['client_credentials'])),
      `clients[0].tokenExchange: needs grant type ${TOKEN_EXCHANGE_GRANT_TYPE} in grantTypes`,
    ],
    [
      'unknown target',
      edit((c) => (client(c, 0)['tokenExchange'] = { targets: ['billing'] })),
      'clients[0].tokenExchange.targets[0]: names no resource server: "billing" (audiences: user-service, message-service)',
    ],
    [
      'maxScope outside the targets',
      edit((c) => (client(c, 0)['tokenExchange'] = { targets: ['message-service'], maxScope: ['user.read'] })),
      'clients[0].tokenExchange.maxScope[0]: "user.read" is a scope of none of the targets (message.read)',
    ],
    [
      'unknown policy field',
      edit((c) => (client(c, 0)['tokenExchange'] = { targets: ['message-service'], maxDepth: 2 })),
      'clients[0].tokenExchange.maxDepth: unknown field (allowed: subjectAudiences, targets, maxScope, allowActorToken, maxActDepth, defaultTarget, mode, requireDpop)',
    ],
    [
      'a defaultTarget outside the targets',
      edit((c) => (client(c, 0)['tokenExchange'] = { targets: ['message-service'], defaultTarget: 'user-service' })),
      'clients[0].tokenExchange.defaultTarget: must be one of targets (message-service), got "user-service"',
    ],
    [
      'an unknown mode',
      edit((c) => (client(c, 0)['tokenExchange'] = { targets: ['message-service'], mode: 'impersonate' })),
      'clients[0].tokenExchange.mode: must be delegation or impersonation, got "impersonate"',
    ],
    [
      'impersonation with actor tokens',
      edit((c) => (client(c, 0)['tokenExchange'] = { targets: ['message-service'], mode: 'impersonation', allowActorToken: true })),
      'clients[0].tokenExchange.allowActorToken: cannot be true with mode impersonation (an impersonation token records no actor)',
    ],
    [
      'impersonation with an act chain depth',
      edit((c) => (client(c, 0)['tokenExchange'] = { targets: ['message-service'], mode: 'impersonation', maxActDepth: 2 })),
      'clients[0].tokenExchange.maxActDepth: has no meaning with mode impersonation (an impersonation token records no actor)',
    ],
    [
      'no subject audience to default to',
      edit((c) => {
        client(c, 0)['clientId'] = 'reporting';
      }),
      'clients[0].tokenExchange.subjectAudiences: is required: no resource server has the audience "reporting" to default to',
    ],
    ['duplicate client', edit((c) => (client(c, 1)['clientId'] = 'user-service')), 'clients[1].clientId: repeats "user-service" of clients[0]'],
    ['password in clear', edit((c) => (c.users[0] = { username: 'alice', password: 'x' })), 'users[0].password: passwords are never stored in clear: use passwordHash (npm run hash-password)'],
    [
      'password hash that is not scrypt',
      edit((c) => (c.users[0] = { username: 'alice', passwordHash: 'md5:abc' })),
      'users[0].passwordHash: must be a scrypt hash from `npm run hash-password -- <password>` ($scrypt$ln=..,r=..,p=..$salt$hash)',
    ],
    ['bad e-mail', edit((c) => (c.users[0] = { username: 'alice', passwordHash: HASH, email: 'alice' })), 'users[0].email: must be an e-mail address, got "alice"'],
    ['duplicate user', edit((c) => c.users.push({ username: 'alice', passwordHash: HASH })), 'users[1].username: repeats "alice" of users[0]'],
    ['missing clients', edit((c) => delete (c as Record<string, unknown>)['clients']), 'clients: is required'],
    ['not YAML', 'clients: [\n', 'not valid YAML/JSON: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1'],
    ['duplicate keys', 'clients: []\nclients: []\nresourceServers: []\n', 'not valid YAML/JSON: Map keys must be unique at line 2, column 1'],
  ])('refuses %s, naming the place', (_case, config, expected) => {
    expect(problem(config)).toBe(expected);
  });

  it('never echoes a malformed secret', () => {
    const message = problem(edit((c) => (client(c, 0)['secret'] = 12345678)));
    expect(message).toBe('clients[0].secret: must be a non-empty string');
    expect(message).not.toContain('12345678');
  });

  it('names the file when loading one', () => {
    expect(() => loadDeclarativeConfig('/nonexistent.yaml')).toThrow('/nonexistent.yaml: file not found (set AUTH_SERVER_CONFIG_FILE)');
  });

  it('keeps the demo hashes verifiable (the demo passwords are documented)', () => {
    const text = readFileSync(DEMO_FILE, 'utf8');
    expect(text).toContain('alice/alice-password');
    expect(text).toContain('bob/bob-password');
  });
});
