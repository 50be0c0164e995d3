import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import { stringify } from 'yaml';
import { DeclarativeConfigError } from './declarative-config.error';
import { parseDeclarativeConfig } from './parse-declarative-config';

const HASH = '$scrypt$ln=15,r=8,p=1$SDCOOFnbL58AzDn79yWJ8w$yTAknwA9lttDsEH62QJZRVP7JQjS6bOjFxSGH8aBXfQ';

type Config = { resourceServers: Record<string, unknown>[]; clients: Record<string, unknown>[]; users: Record<string, unknown>[] };

/** A small valid configuration: a service client, a reporting client with a default resource, a public client. */
function valid(): Config {
  return {
    resourceServers: [
      { audience: 'user-service', resource: 'http://localhost:8080', scopes: ['user.read', 'message.read'] },
      { audience: 'message-service', resource: 'http://localhost:8081', scopes: ['message.read'] },
      { audience: 'billing', resource: 'http://localhost:8082', scopes: ['billing.read'] },
    ],
    clients: [
      {
        clientId: 'user-service',
        secret: 'secret',
        grantTypes: ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE],
        scopes: ['user.read', 'message.read'],
        tokenExchange: { targets: ['message-service'] },
      },
      { clientId: 'reporting', secret: 'reporting-secret', grantTypes: ['client_credentials'], scopes: ['billing.read'], defaultResource: 'billing' },
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

function edit(change: (config: Config) => void): Config {
  const config = valid();
  change(config);
  return config;
}

function problem(config: Config): string {
  try {
    parseDeclarativeConfig(stringify(config), '/x.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(DeclarativeConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

const parse = (config: Config) => parseDeclarativeConfig(stringify(config), '/x.yaml');
const clientOf = (config: Config, id: string) => parse(config).clients.find((client) => client.clientId === id);

describe('client policies of the declarative file', () => {
  describe('clientCredentials.targets', () => {
    it('[H07] defaults to the client’s own resource only: its defaultResource, else its own audience', () => {
      expect(clientOf(valid(), 'user-service')?.clientCredentials).toEqual({ targets: ['user-service'] });
      expect(clientOf(valid(), 'reporting')?.clientCredentials).toEqual({ targets: ['billing'] });
      expect(clientOf(valid(), 'demo-app')?.clientCredentials).toBeUndefined();
    });

    it('takes an explicit list of audiences', () => {
      const config = edit((c) => Object.assign(c.clients[0] ?? {}, { clientCredentials: { targets: ['user-service', 'message-service'] } }));
      expect(clientOf(config, 'user-service')?.clientCredentials).toEqual({ targets: ['user-service', 'message-service'] });
    });

    it.each<[string, Config, string]>([
      [
        'an unknown audience',
        edit((c) => Object.assign(c.clients[0] ?? {}, { clientCredentials: { targets: ['nowhere'] } })),
        'clients[0].clientCredentials.targets[0]: names no resource server: "nowhere" (audiences: user-service, message-service, billing)',
      ],
      [
        'an empty list',
        edit((c) => Object.assign(c.clients[0] ?? {}, { clientCredentials: { targets: [] } })),
        'clients[0].clientCredentials.targets: must not be empty',
      ],
      [
        'an unknown field',
        edit((c) => Object.assign(c.clients[0] ?? {}, { clientCredentials: { target: ['user-service'] } })),
        'clients[0].clientCredentials.target: unknown field (allowed: targets)',
      ],
      [
        'a client without the grant',
        edit((c) => Object.assign(c.clients[2] ?? {}, { clientCredentials: { targets: ['user-service'] } })),
        'clients[2].clientCredentials: needs grant type client_credentials in grantTypes',
      ],
      [
        'no default to fall back on',
        edit((c) => delete c.clients[1]?.['defaultResource']),
        'clients[1].clientCredentials: is required for grant type client_credentials: the client has no defaultResource and no resource server has the audience "reporting" to default to',
      ],
    ])('refuses %s with one line naming the path', (_name, config, message) => {
      expect(problem(config)).toBe(message);
    });
  });

  describe('introspection.audiences', () => {
    it('defaults to the client’s own audience for a confidential client, nothing otherwise', () => {
      expect(clientOf(valid(), 'user-service')?.introspection).toEqual({ audiences: ['user-service'] });
      expect(clientOf(valid(), 'reporting')?.introspection).toEqual({ audiences: [] });
      expect(clientOf(valid(), 'demo-app')?.introspection).toEqual({ audiences: [] });
    });

    it('takes an explicit list (empty: no introspection of others’ tokens)', () => {
      const config = edit((c) => Object.assign(c.clients[1] ?? {}, { introspection: { audiences: ['billing', 'message-service'] } }));
      expect(clientOf(config, 'reporting')?.introspection).toEqual({ audiences: ['billing', 'message-service'] });
      const none = edit((c) => Object.assign(c.clients[0] ?? {}, { introspection: { audiences: [] } }));
      expect(clientOf(none, 'user-service')?.introspection).toEqual({ audiences: [] });
    });

    it.each<[string, Config, string]>([
      [
        'an unknown audience',
        edit((c) => Object.assign(c.clients[0] ?? {}, { introspection: { audiences: ['user-service', 'nowhere'] } })),
        'clients[0].introspection.audiences[1]: names no resource server: "nowhere" (audiences: user-service, message-service, billing)',
      ],
      [
        'a public client',
        edit((c) => Object.assign(c.clients[2] ?? {}, { introspection: { audiences: ['user-service'] } })),
        'clients[2].introspection: needs a secret (a public client cannot prove it is the resource server)',
      ],
      [
        'an unknown field',
        edit((c) => Object.assign(c.clients[0] ?? {}, { introspection: { audience: ['user-service'] } })),
        'clients[0].introspection.audience: unknown field (allowed: audiences)',
      ],
    ])('refuses %s with one line naming the path', (_name, config, message) => {
      expect(problem(config)).toBe(message);
    });
  });

  describe('users and clients', () => {
    it('[H09] refuses a username equal to a client id, naming both entries', () => {
      const config = edit((c) => c.users.push({ username: 'user-service', passwordHash: HASH }));
      expect(problem(config)).toBe(
        'users[1].username: "user-service" is also the clientId of clients[0]: a user and a client would be one principal at the resource servers',
      );
    });

    it('accepts a username that is a resource server’s audience but no client’s id', () => {
      expect(parse(edit((c) => c.users.push({ username: 'billing', passwordHash: HASH }))).users).toHaveLength(2);
    });
  });
});
