import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { generateKeyPairSync } from 'node:crypto';
import { DownstreamClients } from './downstream/downstream-clients.service';
import { silentLogger } from './testing/silent-logger';
import { unsignedAccessToken } from './testing/token-answers';
import { TokenEndpointStub } from './testing/token-endpoint-stub';
import { TokenExchangeOptionsError } from './token-exchange-options.error';
import { TokenExchangeModule } from './token-exchange.module';
import { TokenExchangeModuleOptions } from './token-exchange.options';
import { TokenExchangeService } from './token-exchange.service';

/** Configuring the module: plain options, forRootAsync + ConfigService, and the start-up checks. */
async function compile(options: TokenExchangeModuleOptions) {
  return Test.createTestingModule({ imports: [TokenExchangeModule.forRoot(options)] })
    .setLogger(silentLogger)
    .compile();
}

async function startupError(options: unknown): Promise<Error> {
  try {
    const moduleRef = await compile(options as TokenExchangeModuleOptions);
    await moduleRef.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the module to refuse its options');
}

const valid: TokenExchangeModuleOptions = {
  tokenEndpoint: 'http://127.0.0.1:9/oauth2/token',
  clientId: 'user-service',
  clientSecret: 'secret',
};

describe('TokenExchangeModule options', () => {
  it.each([
    ['no clientId', { ...valid, clientId: '' }, 'TokenExchangeModule: clientId is required'],
    ['no endpoint nor issuer', { ...valid, tokenEndpoint: undefined }, 'TokenExchangeModule: tokenEndpoint or issuer (for discovery) is required'],
    ['a relative token endpoint', { ...valid, tokenEndpoint: '/oauth2/token' }, 'TokenExchangeModule: tokenEndpoint must be an absolute http(s) URL'],
    ['no client credentials', { ...valid, clientSecret: undefined }, 'TokenExchangeModule: clientSecret is required'],
    [
      'a secret and another authentication',
      { ...valid, clientAuthentication: { method: 'client_secret_post', clientSecret: 'x' } },
      'TokenExchangeModule: clientSecret and clientAuthentication are both set',
    ],
    [
      'an unknown method',
      { ...valid, clientSecret: undefined, clientAuthentication: { method: 'tls_client_auth' } },
      'TokenExchangeModule: clientAuthentication.method must be client_secret_basic, client_secret_post or private_key_jwt',
    ],
    ['a zero timeout', { ...valid, timeoutMs: 0 }, 'TokenExchangeModule: timeoutMs must be a positive number'],
    ['a fractional cache size', { ...valid, cacheSize: 2.5 }, 'TokenExchangeModule: cacheSize must be a positive whole number'],
    ['a negative skew', { ...valid, maxSkewSeconds: -1 }, 'TokenExchangeModule: maxSkewSeconds must be 0 or more'],
    [
      'a downstream without target',
      { ...valid, downstreams: { billing: { baseUrl: 'http://localhost:8082' } } },
      'TokenExchangeModule: downstreams.billing needs audience or resource',
    ],
    [
      'a downstream with a relative URL',
      { ...valid, downstreams: { billing: { baseUrl: 'localhost:8082', audience: 'billing' } } },
      'TokenExchangeModule: downstreams.billing.baseUrl must be an absolute http(s) URL',
    ],
  ])('stops the start on %s, with one line naming the option', async (_label, options, message) => {
    const error = await startupError(options);
    expect(error).toBeInstanceOf(TokenExchangeOptionsError);
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    ['a public key', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, {}, 'clientAuthentication.privateKey is a public key'],
    ['text that is no key', () => 'not a PEM', {}, 'clientAuthentication.privateKey is not a private key'],
    ['a short RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, {}, 'shorter than 2048 bits'],
    [
      'an algorithm the key cannot make',
      () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      { algorithm: 'RS256' },
      'clientAuthentication.algorithm RS256 does not fit the key (use ES256)',
    ],
    [
      "audience 'issuer' without an issuer",
      () => generateKeyPairSync('ed25519').privateKey,
      { audience: 'issuer' },
      "clientAuthentication.audience is 'issuer' but no issuer is configured",
    ],
  ])('refuses a private_key_jwt set-up with %s at start', async (_label, key, extra, message) => {
    const error = await startupError({
      ...valid,
      clientSecret: undefined,
      clientAuthentication: { method: 'private_key_jwt', privateKey: key(), ...extra },
    });
    expect(error).toBeInstanceOf(TokenExchangeOptionsError);
    expect(error.message).toContain(message);
  });

  it('never puts a secret or a key in its message', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const error = await startupError({ ...valid, clientSecret: undefined, clientAuthentication: { method: 'private_key_jwt', privateKey: pem } });
    expect(error.message).not.toContain('PRIVATE KEY');
    const both = await startupError({ ...valid, clientSecret: 'hunter2', clientAuthentication: { method: 'client_secret_post', clientSecret: 'hunter2' } });
    expect(both.message).not.toContain('hunter2');
  });
});

describe('TokenExchangeModule.forRootAsync with ConfigService (no Baton config needed)', () => {
  let authServer: TokenEndpointStub;

  beforeEach(async () => {
    authServer = await TokenEndpointStub.start({ client: { clientId: 'orders', clientSecret: 'from-env' } });
  });

  afterEach(() => authServer.stop());

  it('builds its options from ConfigService and exchanges with them', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TokenExchangeModule.forRootAsync({
          imports: [
            ConfigModule.forRoot({
              ignoreEnvFile: true,
              load: [() => ({ AUTH_ISSUER: authServer.issuer, CLIENT_ID: 'orders', CLIENT_SECRET: 'from-env' })],
            }),
          ],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            issuer: config.getOrThrow<string>('AUTH_ISSUER'),
            clientId: config.getOrThrow<string>('CLIENT_ID'),
            clientSecret: config.getOrThrow<string>('CLIENT_SECRET'),
            downstreams: { billing: { baseUrl: 'http://127.0.0.1:9', audience: 'billing' } },
          }),
        }),
      ],
    })
      .setLogger(silentLogger)
      .compile();
    const token = await moduleRef
      .get(TokenExchangeService)
      .exchange({ subjectToken: unsignedAccessToken({ sub: 'alice' }), audience: 'billing' });
    expect(token.accessToken).toBe('exchanged-1');
    // Found through the stub's discovery document, authenticated with the configured secret.
    expect(authServer.requests.map((request) => request.path)).toEqual(['/.well-known/oauth-authorization-server', '/oauth2/token']);
    expect(authServer.exchanges[0]?.clientAuthentication).toEqual({ method: 'client_secret_basic', clientId: 'orders' });
    expect(() => moduleRef.get(DownstreamClients).get('billing')).not.toThrow();
    await moduleRef.close();
    // The first exchange of a run loads axios and its HTTP agent: seconds on a loaded CI machine.
  }, 20_000);
});

describe('TokenExchangeModule side effects', () => {
  it('provides no global filter, guard, pipe or interceptor (forRoot and forRootAsync)', () => {
    const declared: unknown[] = Reflect.getMetadata('providers', TokenExchangeModule) ?? [];
    for (const dynamic of [TokenExchangeModule.forRoot(valid), TokenExchangeModule.forRootAsync({ useFactory: () => valid })]) {
      const tokens = [...declared, ...(dynamic.providers ?? [])].map((provider) =>
        typeof provider === 'object' && provider !== null && 'provide' in provider ? provider.provide : provider,
      );
      expect(tokens).toContain(TokenExchangeService);
      for (const global of [APP_FILTER, APP_GUARD, APP_PIPE, APP_INTERCEPTOR]) expect(tokens).not.toContain(global);
    }
  });
});
