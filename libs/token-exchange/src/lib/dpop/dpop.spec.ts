import { Test, TestingModule } from '@nestjs/testing';
import { EmbeddedJWK, JWK, calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { DownstreamClients } from '../downstream/downstream-clients.service';
import { DownstreamFailedError } from '../errors/downstream-failed.error';
import { TokenExchangeMisconfiguredError } from '../errors/token-exchange-misconfigured.error';
import { TokenExchangeError } from '../errors/token-exchange.error';
import { FakeClock } from '../testing/fake-clock';
import { HttpStub, RecordedRequest, StubAnswer } from '../testing/http-stub';
import { silentLogger } from '../testing/silent-logger';
import { grantedAnswer, oauthError, unsignedAccessToken } from '../testing/token-answers';
import { TokenEndpointStub, TokenEndpointStubOptions } from '../testing/token-endpoint-stub';
import { TokenExchangeModule } from '../token-exchange.module';
import { TokenExchangeModuleOptions } from '../token-exchange.options';
import { TokenExchangeService } from '../token-exchange.service';

/**
 * DPoP (RFC 9449) on the wire: the proofs this client sends are checked here with jose the way a
 * real server checks them, against a stub auth server and a fake resource server over real HTTP.
 */
const clock = new FakeClock();
const subject = (jti: string) => unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) + 3600, jti });

let authServer: TokenEndpointStub;
let downstream: HttpStub | undefined;
let moduleRef: TestingModule | undefined;

interface Started {
  tokens: TokenExchangeService;
  clients: DownstreamClients;
}

async function start(
  options: Partial<TokenExchangeModuleOptions> = { dpop: true },
  stub: TokenEndpointStubOptions = {},
  resource?: (request: RecordedRequest, index: number) => StubAnswer | Promise<StubAnswer>,
): Promise<Started> {
  authServer = await TokenEndpointStub.start({ client: { clientId: 'user-service', clientSecret: 'secret' }, ...stub });
  if (resource !== undefined) downstream = await HttpStub.start(resource);
  moduleRef = await Test.createTestingModule({
    imports: [
      TokenExchangeModule.forRoot({
        tokenEndpoint: authServer.tokenEndpoint,
        clientId: 'user-service',
        clientSecret: 'secret',
        clock,
        downstreams:
          downstream === undefined
            ? undefined
            : { messageService: { baseUrl: `${downstream.url}/base/`, audience: 'message-service' } },
        ...options,
      }),
    ],
  })
    .setLogger(silentLogger)
    .compile();
  return { tokens: moduleRef.get(TokenExchangeService), clients: moduleRef.get(DownstreamClients) };
}

/** A proof verified with jose alone, header and claims returned, as a server would read it. */
async function verifyProof(proof: unknown) {
  expect(typeof proof).toBe('string');
  const { payload, protectedHeader } = await jwtVerify(proof as string, EmbeddedJWK, { typ: 'dpop+jwt' });
  const jwk = protectedHeader.jwk as JWK;
  return { payload, protectedHeader, jwk, thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
}

async function failureOf(promise: Promise<unknown>): Promise<TokenExchangeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenExchangeError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function withHeaders(answer: StubAnswer, headers: Record<string, string>): StubAnswer {
  return answer === 'destroy' ? answer : { ...answer, headers: { ...answer.headers, ...headers } };
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A resource server that wants bound tokens: checks the proof and answers with what it saw. */
function boundResource(options: { nonce?: () => string | undefined } = {}) {
  return async (request: RecordedRequest): Promise<StubAnswer> => {
    const authorization = request.headers.authorization ?? '';
    const challenge = (error: string, extra: Record<string, string> = {}): StubAnswer => ({
      status: 401,
      headers: { 'WWW-Authenticate': `DPoP error="${error}", algs="ES256 EdDSA"`, ...extra },
      body: { error, message: 'refused' },
    });
    if (!authorization.startsWith('DPoP ')) return challenge('invalid_token');
    const token = authorization.slice(5);
    const proof = await verifyProof(request.headers['dpop']).catch(() => undefined);
    if (proof === undefined) return challenge('invalid_dpop_proof');
    const nonce = options.nonce?.();
    if (nonce !== undefined && proof.payload['nonce'] !== nonce) return challenge('use_dpop_nonce', { 'DPoP-Nonce': nonce });
    return { status: 200, body: { claims: proof.payload, thumbprint: proof.thumbprint, method: request.method, token } };
  };
}

afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
  await authServer?.stop();
  await downstream?.stop();
  downstream = undefined;
});

describe('DPoP proofs on the exchange request', () => {
  it('carries a proof a server verifies (typ, public jwk, htm POST, htu the token endpoint, iat, unique jti) and gets a bound token', async () => {
    const { tokens } = await start({ dpop: true }, { dpop: { required: true } });
    const first = await tokens.exchange({ subjectToken: subject('s1'), audience: 'message-service' });
    const second = await tokens.exchange({ subjectToken: subject('s2'), audience: 'message-service' });

    expect(first.tokenType).toBe('DPoP');
    expect(second.tokenType).toBe('DPoP');
    const proofs = await Promise.all(authServer.exchanges.map((request) => verifyProof(request.headers['dpop'])));
    expect(proofs).toHaveLength(2);
    for (const { protectedHeader, payload, jwk } of proofs) {
      expect(protectedHeader.typ).toBe('dpop+jwt');
      expect(protectedHeader.alg).toBe('ES256');
      expect(jwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
      expect(payload['htm']).toBe('POST');
      expect(payload['htu']).toBe(authServer.tokenEndpoint);
      expect(Math.abs((payload['iat'] as number) - Date.now() / 1000)).toBeLessThan(5);
      expect(payload['ath']).toBeUndefined();
      expect(payload['nonce']).toBeUndefined();
    }
    expect(proofs[0].payload['jti']).not.toBe(proofs[1].payload['jti']);
    // One key for the module: both proofs name the same thumbprint.
    expect(proofs[0].thumbprint).toBe(proofs[1].thumbprint);
  });

  it('caches a bound token under the key of its thumbprint: the second call is served without a request', async () => {
    const { tokens } = await start({ dpop: true });
    const first = await tokens.exchange({ subjectToken: subject('c'), audience: 'message-service' });
    const second = await tokens.exchange({ subjectToken: subject('c'), audience: 'message-service' });
    expect(second).toBe(first);
    expect(authServer.exchanges).toHaveLength(1);
  });

  it('leaves the query and the fragment out of htu', async () => {
    // A plain server: the stub's token endpoint would not answer under a query.
    downstream = await HttpStub.start(grantedAnswer);
    const { tokens } = await start({ dpop: true, tokenEndpoint: `${downstream.url}/oauth2/token?tenant=a#frag` });
    await tokens.exchange({ subjectToken: subject('q'), audience: 'message-service' });
    expect(downstream.requests[0]?.path).toBe('/oauth2/token?tenant=a');
    const { payload } = await verifyProof(downstream.requests[0]?.headers['dpop']);
    expect(payload['htu']).toBe(`${downstream.url}/oauth2/token`);
  });

  it('signs with EdDSA when asked', async () => {
    const { tokens } = await start({ dpop: { algorithm: 'EdDSA' } }, { dpop: { required: true } });
    await tokens.exchange({ subjectToken: subject('ed'), audience: 'message-service' });
    const { protectedHeader, jwk } = await verifyProof(authServer.exchanges[0]?.headers['dpop']);
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String) });
  });

  it('uses a configured key: the proofs carry its public key and its RFC 7638 thumbprint', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = privateKey.export({ format: 'jwk' });
    const { tokens } = await start({ dpop: { key: privateJwk } });
    await tokens.exchange({ subjectToken: subject('k'), audience: 'message-service' });
    const { thumbprint, jwk } = await verifyProof(authServer.exchanges[0]?.headers['dpop']);
    expect(thumbprint).toBe(await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256'));
    expect(jwk).not.toHaveProperty('d');
  });

  it('sends no proof without the option, and refuses a DPoP token it did not ask for', async () => {
    const { tokens } = await start({}, { handler: (request, index) => grantedAnswer(request, index, { token_type: 'DPoP' }) });
    const error = await failureOf(tokens.exchange({ subjectToken: subject('n'), audience: 'message-service' }));
    expect(authServer.exchanges[0]?.headers['dpop']).toBeUndefined();
    expect(error.getStatus()).toBe(502);
    expect((error as TokenExchangeMisconfiguredError).oauthError).toBe('invalid_response');
  });

  it('takes a Bearer answer from a server that does not bind tokens', async () => {
    const { tokens } = await start({ dpop: true }, { handler: (request, index) => grantedAnswer(request, index, { token_type: 'Bearer' }) });
    expect((await tokens.exchange({ subjectToken: subject('b'), audience: 'message-service' })).tokenType).toBe('Bearer');
  });

  it('surfaces invalid_dpop_proof as a 502 misconfiguration', async () => {
    const { tokens } = await start({ dpop: true }, { handler: () => oauthError(400, 'invalid_dpop_proof', 'bad proof') });
    const error = await failureOf(tokens.exchange({ subjectToken: subject('i'), audience: 'message-service' }));
    expect(error.getStatus()).toBe(502);
    expect(error.getResponse()).toEqual({ error: 'token_exchange_failed', message: 'This service could not obtain a token for the next service' });
    expect((error as TokenExchangeMisconfiguredError).oauthError).toBe('invalid_dpop_proof');
    expect(authServer.exchanges).toHaveLength(1);
  });
});

describe('DPoP nonces at the token endpoint', () => {
  it('retries once with the nonce of a use_dpop_nonce answer, and sends it at once afterwards', async () => {
    const { tokens } = await start({ dpop: true }, { dpop: { required: true, nonce: 'nonce-1' } });
    const token = await tokens.exchange({ subjectToken: subject('n1'), audience: 'message-service' });
    expect(token.tokenType).toBe('DPoP');
    expect(authServer.exchanges).toHaveLength(2);
    const [refused, accepted] = await Promise.all(authServer.exchanges.map((request) => verifyProof(request.headers['dpop'])));
    expect(refused.payload['nonce']).toBeUndefined();
    expect(accepted.payload['nonce']).toBe('nonce-1');
    expect(accepted.payload['jti']).not.toBe(refused.payload['jti']);

    await tokens.exchange({ subjectToken: subject('n2'), audience: 'message-service' });
    expect(authServer.exchanges).toHaveLength(3);
    expect((await verifyProof(authServer.exchanges[2]?.headers['dpop'])).payload['nonce']).toBe('nonce-1');
  });

  it('remembers a nonce sent with a successful answer', async () => {
    const { tokens } = await start(
      { dpop: true },
      { handler: (request, index) => withHeaders(grantedAnswer(request, index), { 'DPoP-Nonce': 'fresh-2' }) },
    );
    await tokens.exchange({ subjectToken: subject('s1'), audience: 'message-service' });
    await tokens.exchange({ subjectToken: subject('s2'), audience: 'message-service' });
    expect((await verifyProof(authServer.exchanges[1]?.headers['dpop'])).payload['nonce']).toBe('fresh-2');
  });

  it('retries for a nonce only once: a second use_dpop_nonce is a 502', async () => {
    let count = 0;
    const { tokens } = await start(
      { dpop: true },
      {
        handler: () => {
          count += 1;
          return { status: 400, body: { error: 'use_dpop_nonce' }, headers: { 'DPoP-Nonce': `n-${count}` } };
        },
      },
    );
    const error = await failureOf(tokens.exchange({ subjectToken: subject('x'), audience: 'message-service' }));
    expect(error.getStatus()).toBe(502);
    expect((error as TokenExchangeMisconfiguredError).oauthError).toBe('use_dpop_nonce');
    expect(authServer.exchanges).toHaveLength(2);
  });

  it('keeps the network retry apart: a dropped connection, then a nonce refusal, then the token', async () => {
    downstream = await HttpStub.start((request, index) => {
      if (index === 0) return 'destroy';
      if (index === 1) return { status: 400, body: { error: 'use_dpop_nonce' }, headers: { 'DPoP-Nonce': 'after-drop' } };
      return grantedAnswer(request, index);
    });
    const { tokens } = await start({ dpop: true, tokenEndpoint: `${downstream.url}/oauth2/token`, retryMaxDelayMs: 5 });
    expect((await tokens.exchange({ subjectToken: subject('z'), audience: 'message-service' })).tokenType).toBe('DPoP');
    expect(downstream.requests).toHaveLength(3);
    expect((await verifyProof(downstream.requests[2]?.headers['dpop'])).payload['nonce']).toBe('after-drop');
  });

  it('does not retry a use_dpop_nonce answer without a DPoP-Nonce header', async () => {
    const { tokens } = await start({ dpop: true }, { handler: () => oauthError(400, 'use_dpop_nonce') });
    const error = await failureOf(tokens.exchange({ subjectToken: subject('y'), audience: 'message-service' }));
    expect((error as TokenExchangeMisconfiguredError).oauthError).toBe('use_dpop_nonce');
    expect(authServer.exchanges).toHaveLength(1);
  });
});

describe('DPoP on downstream calls', () => {
  it('sends a bound token as Authorization: DPoP with a proof of the same key carrying htm, htu and ath', async () => {
    const { clients } = await start({ dpop: true }, { dpop: { required: true } }, boundResource());
    const client = clients.get('messageService');
    const get = await client.request<{ claims: Record<string, unknown>; thumbprint: string; token: string }>({
      subjectToken: subject('d1'),
      path: '/api/messages',
      query: { limit: 2 },
    });
    const post = await client.request<{ claims: Record<string, unknown>; thumbprint: string; token: string }>({
      subjectToken: subject('d1'),
      method: 'POST',
      path: '/api/messages',
      body: { to: 'bob', text: 'hi' },
    });

    expect(get.status).toBe(200);
    expect(get.data.token).toBe('exchanged-1');
    expect(get.data.claims).toMatchObject({ htm: 'GET', htu: `${downstream?.url}/base/api/messages`, ath: ath('exchanged-1') });
    expect(post.data.claims).toMatchObject({ htm: 'POST', htu: `${downstream?.url}/base/api/messages`, ath: ath('exchanged-1') });
    expect(get.data.claims['jti']).not.toBe(post.data.claims['jti']);
    // The downstream proofs are made with the key the token was bound to at the exchange.
    const exchangeProof = await verifyProof(authServer.exchanges[0]?.headers['dpop']);
    expect(get.data.thumbprint).toBe(exchangeProof.thumbprint);
    expect(authServer.exchanges).toHaveLength(1);
  });

  it('retries a GET and a POST once with the nonce of a use_dpop_nonce refusal, without exchanging again', async () => {
    const { clients } = await start({ dpop: true }, {}, boundResource({ nonce: () => 'rs-nonce' }));
    const client = clients.get('messageService');
    const post = await client.request<{ claims: Record<string, unknown> }>({ subjectToken: subject('p'), method: 'POST', path: '/api/messages', body: { text: 'x' } });
    expect(post.status).toBe(200);
    expect(post.data.claims['nonce']).toBe('rs-nonce');
    expect(downstream?.requests.map((request) => request.method)).toEqual(['POST', 'POST']);
    expect(authServer.exchanges).toHaveLength(1);

    // The nonce is remembered for that origin: the next call carries it at once.
    const get = await client.request<{ claims: Record<string, unknown> }>({ subjectToken: subject('p'), path: '/api/messages' });
    expect(get.data.claims['nonce']).toBe('rs-nonce');
    expect(downstream?.requests).toHaveLength(3);
  });

  it('answers 502 when the downstream asks for a nonce again after the nonce retry', async () => {
    let count = 0;
    const { clients } = await start({ dpop: true }, {}, boundResource({ nonce: () => `rotating-${(count += 1)}` }));
    const error = await failureOf(clients.get('messageService').request({ subjectToken: subject('r'), path: '/api/messages' }));
    expect(error).toBeInstanceOf(DownstreamFailedError);
    expect(error.getStatus()).toBe(502);
    expect(error.getResponse()).toEqual({ error: 'downstream_failed', message: 'message-service failed to answer' });
    expect((error as DownstreamFailedError).reason).toBe('use_dpop_nonce');
    expect(downstream?.requests).toHaveLength(2);
    expect(authServer.exchanges).toHaveLength(1);
  });

  it('keeps the 401 behaviour for a refused bound token: evicted, exchanged again once, then 502', async () => {
    const { clients } = await start({ dpop: true }, {}, () => ({
      status: 401,
      headers: { 'WWW-Authenticate': 'DPoP error="invalid_token", algs="ES256 EdDSA"' },
      body: { error: 'invalid_token', message: 'no' },
    }));
    const error = await failureOf(clients.get('messageService').request({ subjectToken: subject('e'), path: '/api/messages' }));
    expect((error as DownstreamFailedError).reason).toBe('token_refused');
    expect(authServer.exchanges).toHaveLength(2);
    expect(downstream?.requests).toHaveLength(2);
  });

  it('sends a token the server did not bind as Bearer, with no proof', async () => {
    const { clients } = await start(
      { dpop: true },
      { handler: (request, index) => grantedAnswer(request, index, { token_type: 'Bearer' }) },
      (request) => ({ status: 200, body: { authorization: request.headers.authorization, dpop: request.headers['dpop'] ?? null } }),
    );
    const response = await clients.get('messageService').request<{ authorization: string; dpop: string | null }>({ subjectToken: subject('b'), path: '/api/messages' });
    expect(response.data).toEqual({ authorization: 'Bearer exchanged-1', dpop: null });
  });
});

describe('the dpop option', () => {
  it('refuses a key DPoP cannot use, a public key, and an algorithm that does not fit, naming the option', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(start({ dpop: { key: rsa.privateKey } })).rejects.toThrow(/dpop\.key.*P-256.*Ed25519/);
    await authServer.stop();
    await expect(start({ dpop: { key: ec.publicKey.export({ format: 'pem', type: 'spki' }).toString() } })).rejects.toThrow(/dpop\.key.*public key/);
    await authServer.stop();
    await expect(start({ dpop: { key: ec.privateKey, algorithm: 'EdDSA' } })).rejects.toThrow(/dpop\.algorithm.*ES256/);
    await authServer.stop();
    await expect(start({ dpop: { key: 'not a key' } })).rejects.toThrow(/dpop\.key is not a private key/);
  });

  it('never puts the key in the error', async () => {
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const broken = { ...jwk, x: 'AAAA' };
    const error = await start({ dpop: { key: JSON.stringify(broken), algorithm: 'ES256' } }).catch((caught: unknown) => caught);
    expect(String(error)).not.toContain(String(jwk.d));
  });

  it('keeps the proof header stable and the key out of it', async () => {
    const { tokens } = await start({ dpop: true });
    await tokens.exchange({ subjectToken: subject('h'), audience: 'message-service' });
    const header = decodeProtectedHeader(String(authServer.exchanges[0]?.headers['dpop']));
    expect(Object.keys(header).sort()).toEqual(['alg', 'jwk', 'typ']);
  });
});
