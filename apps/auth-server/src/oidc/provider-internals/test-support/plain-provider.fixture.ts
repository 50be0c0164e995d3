import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';
import type { Adapter, AdapterPayload, Configuration } from 'oidc-provider';

/** A resource server the plain provider issues JWT access tokens for. */
export const PLAIN_RESOURCE = 'urn:baton:test-resource';
/** A confidential client registered for client_credentials only. */
export const PLAIN_CLIENT = { id: 'plain-client', secret: 'plain-secret' } as const;

/** A private signing JWK with its `kid`, as oidc-provider's `jwks` takes it. */
export function signingJwk(kid: string): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
}

/** oidc-provider's storage, in a Map: its own in-memory adapter would warn on every start. */
class MapAdapter implements Adapter {
  private readonly entries = new Map<string, AdapterPayload>();

  upsert(id: string, payload: AdapterPayload): Promise<void> {
    this.entries.set(id, payload);
    return Promise.resolve();
  }
  find(id: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.entries.get(id));
  }
  findByUserCode(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  findByUid(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  consume(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry !== undefined) entry.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }
  destroy(id: string): Promise<void> {
    this.entries.delete(id);
    return Promise.resolve();
  }
  revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, entry] of this.entries) if (entry.grantId === grantId) this.entries.delete(id);
    return Promise.resolve();
  }
}

export interface PlainProviderOptions {
  /** Its private signing keys (one fresh ES256 key by default). */
  readonly keys?: readonly Record<string, unknown>[];
  /** Runs once the Provider exists, before its Koa middleware is composed (`use`, `on`, grants). */
  readonly prepare?: (provider: Provider) => void;
  /** Grant types (registered by `prepare`) that PLAIN_CLIENT may use besides client_credentials. */
  readonly extraGrantTypes?: readonly string[];
}

export interface PlainProvider {
  readonly provider: Provider;
  readonly baseUrl: string;
  close(): Promise<void>;
}

/**
 * oidc-provider as installed, with none of the auth server's configuration: a client_credentials
 * client, JWT access tokens for one resource, introspection. The seams' specs run against it, so
 * they see oidc-provider's own behaviour, not Baton's amendments of it.
 */
export async function startPlainProvider(options: PlainProviderOptions = {}): Promise<PlainProvider> {
  const { keys = [signingJwk('plain-key')], prepare = () => undefined, extraGrantTypes = [] } = options;
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration: Configuration = {
    jwks: { keys: keys.map((key) => ({ ...key })) } as Configuration['jwks'],
    adapter: MapAdapter,
    ttl: { ClientCredentials: 300 },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<p>${String(out['error'])}</p>`;
    },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clients: [
      {
        client_id: PLAIN_CLIENT.id,
        client_secret: PLAIN_CLIENT.secret,
        grant_types: ['client_credentials', ...extraGrantTypes],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => PLAIN_RESOURCE,
        getResourceServerInfo: () => ({ scope: 'read', audience: PLAIN_RESOURCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    },
  };
  const provider = new Provider(baseUrl, configuration);
  prepare(provider);
  server.on('request', provider.callback());
  return {
    provider,
    baseUrl,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** POSTs a form to `path` of the plain provider, as JSON-accepting API clients do. */
export async function postForm(
  baseUrl: string,
  path: string,
  form: Record<string, string>,
  client?: { id: string; secret: string },
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      ...(client === undefined ? {} : { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` }),
    },
    body: new URLSearchParams(form),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** A client_credentials access token (a JWT) from the plain provider. */
export async function clientCredentialsToken(baseUrl: string): Promise<string> {
  const { status, body } = await postForm(baseUrl, '/token', { grant_type: 'client_credentials', scope: 'read' }, PLAIN_CLIENT);
  if (status !== 200 || typeof body['access_token'] !== 'string') throw new Error(`client_credentials refused: ${status} ${String(body['error'])}`);
  return body['access_token'];
}

/** The `kid` in a JWT's protected header. */
export function kidOf(jwt: string): unknown {
  return (JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }).kid;
}
