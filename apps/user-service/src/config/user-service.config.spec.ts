import { ConfigValidationError, loadConfig } from '@baton/config';
import { userServiceConfig } from './user-service.config';

describe('userServiceConfig', () => {
  it('works on a fresh machine with the documented defaults', () => {
    const config = loadConfig(userServiceConfig.schema, {});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      authIssuer: 'http://localhost:9001',
      authJwksUri: '',
      authTokenEndpoint: '',
      tokenExchangeClientId: 'user-service',
      tokenExchangeClientAuthMethod: 'client_secret_basic',
      tokenExchangeClientSecret: 'secret',
      tokenExchangePrivateKeyFile: '',
      tokenExchangeTimeoutMs: 5000,
      tokenExchangeCacheSize: 1000,
      tokenExchangeCacheEnabled: true,
      messageServiceUrl: 'http://localhost:8081',
      messageServiceAudience: 'message-service',
      downstreamTimeoutMs: 5000,
    });
  });

  it('names the key of a bad value', () => {
    expect(() => loadConfig(userServiceConfig.schema, { TOKEN_EXCHANGE_CACHE_SIZE: '0' })).toThrow(
      'TOKEN_EXCHANGE_CACHE_SIZE must be a whole number from 1 to 1000000, got "0"',
    );
    expect(() => loadConfig(userServiceConfig.schema, { TOKEN_EXCHANGE_CACHE_ENABLED: 'maybe' })).toThrow(
      'TOKEN_EXCHANGE_CACHE_ENABLED must be true or false, got "maybe"',
    );
    expect(() => loadConfig(userServiceConfig.schema, { MESSAGE_SERVICE_URL: 'localhost:8081' })).toThrow(
      'MESSAGE_SERVICE_URL must be an absolute http(s) URL, got "localhost:8081"',
    );
  });

  it('refuses the demo client secret in production, without echoing it', () => {
    const previous = { ...process.env };
    try {
      process.env['NODE_ENV'] = 'production';
      process.env['METRICS_TOKEN'] = 'a-metrics-token-for-production';
      delete process.env['TOKEN_EXCHANGE_CLIENT_SECRET'];
      expect(() => userServiceConfig.load()).toThrow(
        new ConfigValidationError(
          'TOKEN_EXCHANGE_CLIENT_SECRET',
          'TOKEN_EXCHANGE_CLIENT_SECRET must be set in production (the demo secret is refused)',
        ),
      );
      process.env['TOKEN_EXCHANGE_CLIENT_SECRET'] = 'a-real-secret';
      expect(userServiceConfig.load().tokenExchangeClientSecret).toBe('a-real-secret');
    } finally {
      process.env = previous;
    }
  });

  it('needs the key file for private_key_jwt, and then no client secret in production', () => {
    const previous = { ...process.env };
    try {
      process.env['TOKEN_EXCHANGE_CLIENT_AUTH_METHOD'] = 'private_key_jwt';
      delete process.env['TOKEN_EXCHANGE_PRIVATE_KEY_FILE'];
      expect(() => userServiceConfig.load()).toThrow(
        'TOKEN_EXCHANGE_PRIVATE_KEY_FILE must name the private key file when TOKEN_EXCHANGE_CLIENT_AUTH_METHOD is private_key_jwt',
      );
      process.env['TOKEN_EXCHANGE_PRIVATE_KEY_FILE'] = '/run/secrets/user-service.key.pem';
      process.env['NODE_ENV'] = 'production';
      process.env['METRICS_TOKEN'] = 'a-metrics-token-for-production';
      delete process.env['TOKEN_EXCHANGE_CLIENT_SECRET'];
      expect(userServiceConfig.load().tokenExchangeClientAuthMethod).toBe('private_key_jwt');
    } finally {
      process.env = previous;
    }
    expect(() => loadConfig(userServiceConfig.schema, { TOKEN_EXCHANGE_CLIENT_AUTH_METHOD: 'tls_client_auth' })).toThrow(
      'TOKEN_EXCHANGE_CLIENT_AUTH_METHOD must be one of client_secret_basic, client_secret_post, private_key_jwt',
    );
  });
});
