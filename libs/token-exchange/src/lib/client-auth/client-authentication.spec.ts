import { Test, TestingModule } from '@nestjs/testing';
import { JWK, exportJWK } from 'jose';
import { KeyObject, generateKeyPairSync } from 'node:crypto';
import { AuthServerUnavailableError } from '../errors/auth-server-unavailable.error';
import { TokenExchangeMisconfiguredError } from '../errors/token-exchange-misconfigured.error';
import { FakeClock } from '../testing/fake-clock';
import { silentLogger } from '../testing/silent-logger';
import { grantedAnswer, unsignedAccessToken } from '../testing/token-answers';
import { StubClient, TokenEndpointStub } from '../testing/token-endpoint-stub';
import { JWT_BEARER_CLIENT_ASSERTION_TYPE } from '../token-exchange.constants';
import { TokenExchangeModule } from '../token-exchange.module';
import { TokenExchangeModuleOptions } from '../token-exchange.options';
import { TokenExchangeService } from '../token-exchange.service';

/**
 * Each client authentication over real HTTP, against a stub token endpoint that checks what it
 * receives as an auth server would: the Basic header, the form fields, the assertion's signature
 * (jose, with the client's public key) and its claims, and never the same `jti` twice.
 */
const clock = new FakeClock();
const alice = () => unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) + 3600, jti: 'a1' });

let authServer: TokenEndpointStub;
let moduleRef: TestingModule | undefined;

async function start(
  client: StubClient,
  options: (authServer: TokenEndpointStub) => Omit<TokenExchangeModuleOptions, 'clientId'>,
): Promise<TokenExchangeService> {
  authServer = await TokenEndpointStub.start({ client });
  moduleRef = await Test.createTestingModule({
    imports: [
      TokenExchangeModule.forRoot({
        tokenEndpoint: authServer.tokenEndpoint,
        clientId: client.clientId,
        clock,
        retryMaxDelayMs: 5,
        cacheEnabled: false,
        ...options(authServer),
      }),
    ],
  })
    .setLogger(silentLogger)
    .compile();
  return moduleRef.get(TokenExchangeService);
}

afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
  await authServer?.stop();
});

const exchange = (service: TokenExchangeService) => service.exchange({ subjectToken: alice(), audience: 'message-service' });

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

describe('client_secret_basic (the default)', () => {
  it('sends the form-encoded id and secret in the Basic header, nothing in the form', async () => {
    const service = await start({ clientId: 'svc:1', clientSecret: 'p@ss word' }, () => ({ clientSecret: 'p@ss word' }));
    await expect(exchange(service)).resolves.toMatchObject({ accessToken: 'exchanged-1' });
    const [request] = authServer.exchanges;
    expect(request?.clientAuthentication).toEqual({ method: 'client_secret_basic', clientId: 'svc:1' });
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('svc%3A1:p%40ss+word').toString('base64')}`);
    expect(request?.form.has('client_secret')).toBe(false);
  });

  it("is a 502 invalid_client (this service's configuration, not the caller's token) when the secret is wrong", async () => {
    const service = await start({ clientId: 'user-service', clientSecret: 'right' }, () => ({ clientSecret: 'wrong' }));
    const error = await refusal(exchange(service));
    expect(error).toBeInstanceOf(TokenExchangeMisconfiguredError);
    expect((error as TokenExchangeMisconfiguredError).getStatus()).toBe(502);
    expect((error as TokenExchangeMisconfiguredError).oauthError).toBe('invalid_client');
  });
});

describe('client_secret_post', () => {
  it('sends client_id and client_secret in the form, and no Authorization header', async () => {
    const service = await start({ clientId: 'user-service', clientSecret: 's3cret' }, () => ({
      clientAuthentication: { method: 'client_secret_post', clientSecret: 's3cret' },
    }));
    await expect(exchange(service)).resolves.toMatchObject({ accessToken: 'exchanged-1' });
    const [request] = authServer.exchanges;
    expect(request?.clientAuthentication.method).toBe('client_secret_post');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.form.get('client_id')).toBe('user-service');
    expect(request?.form.get('client_secret')).toBe('s3cret');
    expect(request?.form.get('subject_token')).toBe(alice());
  });
});

describe('private_key_jwt (RFC 7523)', () => {
  const keys = {
    ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    EdDSA: generateKeyPairSync('ed25519'),
  };

  it.each([
    ['ES256', 'a JWK', async (key: KeyObject) => ({ ...(await exportJWK(key)), kid: 'key-1' }) as JWK],
    ['RS256', 'a PEM string', async (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString()],
    ['EdDSA', 'a KeyObject', async (key: KeyObject) => key],
  ] as const)('signs %s assertions with %s that the server verifies: iss = sub = client id, aud = token endpoint, jti, exp', async (alg, _kind, input) => {
    const pair = keys[alg];
    const privateKey = await input(pair.privateKey);
    const service = await start({ clientId: 'user-service', publicKey: pair.publicKey }, () => ({
      clientAuthentication: { method: 'private_key_jwt', privateKey },
    }));
    await expect(exchange(service)).resolves.toMatchObject({ accessToken: 'exchanged-1' });
    await expect(exchange(service)).resolves.toMatchObject({ accessToken: 'exchanged-2' });
    const [first, second] = authServer.exchanges;
    expect(first?.headers.authorization).toBeUndefined();
    expect(first?.form.get('client_assertion_type')).toBe(JWT_BEARER_CLIENT_ASSERTION_TYPE);
    expect(first?.form.get('client_id')).toBe('user-service');
    expect(first?.form.has('client_secret')).toBe(false);
    const assertion = first?.clientAuthentication.assertion;
    expect(first?.clientAuthentication.method).toBe('private_key_jwt');
    expect(assertion?.header).toMatchObject({ alg, typ: 'JWT', ...(alg === 'ES256' ? { kid: 'key-1' } : {}) });
    expect(assertion?.claims).toMatchObject({ iss: 'user-service', sub: 'user-service', aud: authServer.tokenEndpoint });
    const { iat, exp, jti } = assertion?.claims ?? {};
    expect(typeof jti).toBe('string');
    expect((exp ?? 0) - (iat ?? 0)).toBe(60);
    expect(Math.abs((iat ?? 0) - Date.now() / 1000)).toBeLessThan(30);
    // A new assertion for every request: the server refuses a jti it has seen.
    expect(second?.clientAuthentication.assertion?.claims.jti).not.toBe(jti);
  });

  it('signs a fresh assertion for the one retry after a dropped connection', async () => {
    const service = await start({ clientId: 'user-service', publicKey: keys.ES256.publicKey }, () => ({
      clientAuthentication: { method: 'private_key_jwt', privateKey: keys.ES256.privateKey },
    }));
    authServer.answerWith((request, index) => (index === 0 ? 'destroy' : grantedAnswer(request, index)));
    await expect(exchange(service)).resolves.toMatchObject({ accessToken: 'exchanged-2' });
    const ids = authServer.exchanges.map((request) => request.clientAuthentication.assertion?.claims.jti);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it("uses the issuer as aud when told to (audience: 'issuer')", async () => {
    const service = await start({ clientId: 'user-service', publicKey: keys.EdDSA.publicKey }, (stub) => ({
      issuer: stub.issuer,
      clientAuthentication: { method: 'private_key_jwt', privateKey: keys.EdDSA.privateKey, audience: 'issuer', lifetimeSeconds: 30 },
    }));
    await exchange(service);
    const claims = authServer.exchanges[0]?.clientAuthentication.assertion?.claims;
    expect(claims?.aud).toBe(authServer.issuer);
    expect((claims?.exp ?? 0) - (claims?.iat ?? 0)).toBe(30);
  });

  it('is refused (502 invalid_client) when signed with a key the server does not know', async () => {
    const service = await start({ clientId: 'user-service', publicKey: keys.ES256.publicKey }, () => ({
      clientAuthentication: { method: 'private_key_jwt', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
    }));
    const error = await refusal(exchange(service));
    expect(error).toBeInstanceOf(TokenExchangeMisconfiguredError);
    expect((error as TokenExchangeMisconfiguredError).oauthError).toBe('invalid_client');
    expect(error).not.toBeInstanceOf(AuthServerUnavailableError);
  });
});
