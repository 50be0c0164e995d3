import { ConfigValidationError } from './config-validation.error';
import { commonConfig, integerEntry, listEntry, portEntry, stringEntry, urlEntry } from './fragments';
import { describeConfig, loadConfig, summarizeConfig } from './load-config';

const schema = {
  ...commonConfig,
  port: portEntry('AUTH_SERVER_PORT', { description: 'HTTP port', default: 9001 }),
  issuer: urlEntry('AUTH_SERVER_ISSUER', { description: 'Issuer', default: 'http://localhost:9001' }),
  ttl: integerEntry('TOKEN_TTL', { description: 'seconds', default: 300, min: 1, max: 3600 }),
  secret: stringEntry('CLIENT_SECRET', { description: 'client secret', secret: true }),
  scopes: listEntry('SCOPES', { description: 'scopes', default: ['a'] }),
};

describe('loadConfig', () => {
  it('applies defaults and parses values', () => {
    const config = loadConfig(schema, { CLIENT_SECRET: 's', AUTH_SERVER_PORT: '0', SCOPES: 'x, y z' });
    expect(config.port).toBe(0);
    expect(config.issuer).toBe('http://localhost:9001');
    expect(config.ttl).toBe(300);
    expect(config.scopes).toEqual(['x', 'y', 'z']);
    expect(config.logLevel).toBe('info');
  });

  it('names the key and the bad value in one line', () => {
    expect(() => loadConfig(schema, { CLIENT_SECRET: 's', AUTH_SERVER_PORT: 'abc' })).toThrow(
      new ConfigValidationError('AUTH_SERVER_PORT', 'AUTH_SERVER_PORT must be a port number, got "abc"'),
    );
    expect(() => loadConfig(schema, { CLIENT_SECRET: 's', AUTH_SERVER_PORT: '70000' })).toThrow(
      'AUTH_SERVER_PORT must be a port number, got "70000"',
    );
    expect(() => loadConfig(schema, { CLIENT_SECRET: 's', AUTH_SERVER_ISSUER: 'ftp://x' })).toThrow(
      'AUTH_SERVER_ISSUER must be an absolute http(s) URL, got "ftp://x"',
    );
    expect(() => loadConfig(schema, { CLIENT_SECRET: 's', TOKEN_TTL: '0' })).toThrow(
      'TOKEN_TTL must be a whole number from 1 to 3600, got "0"',
    );
    expect(() => loadConfig(schema, { CLIENT_SECRET: 's', LOG_LEVEL: 'loud' })).toThrow(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  it('requires keys without a default and never echoes a secret', () => {
    expect(() => loadConfig(schema, {})).toThrow('CLIENT_SECRET is required (client secret)');
    expect(() => loadConfig(schema, { CLIENT_SECRET: ' ' })).toThrow('CLIENT_SECRET must not be empty');
    try {
      loadConfig(schema, { CLIENT_SECRET: '   ' });
    } catch (error) {
      expect((error as Error).message).not.toContain('"   "');
    }
  });

  it('masks secrets in summaries and documents defaults', () => {
    const config = loadConfig(schema, { CLIENT_SECRET: 'hunter2' });
    expect(summarizeConfig(schema, config)['CLIENT_SECRET']).toBe('[secret]');
    expect(JSON.stringify(summarizeConfig(schema, config))).not.toContain('hunter2');
    expect(describeConfig(schema)).toContain('| `AUTH_SERVER_PORT` | 9001 | HTTP port |');
  });
});
