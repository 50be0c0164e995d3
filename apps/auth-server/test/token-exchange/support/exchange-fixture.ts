import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_EXCHANGE_GRANT_TYPE, TokenExchangeAuditEntry, TokenSet } from '@baton/dto';
import { AuthServerHarness, startAuthServer } from '@baton/testing';

export interface Client {
  id: string;
  secret: string;
}

export const USER_SERVICE: Client = { id: 'user-service', secret: 'secret' };
export const ORCHESTRATOR: Client = { id: 'orchestrator', secret: 'orchestrator-secret' };
export const NARROW: Client = { id: 'narrow', secret: 'narrow-secret' };
export const REPORTING: Client = { id: 'reporting', secret: 'reporting-secret' };
/** Two targets and no default: a request naming none is chosen by its scope, or refused. */
export const FAN_OUT: Client = { id: 'fan-out', secret: 'fan-out-secret' };
/** Two targets, `defaultTarget: message-service`. */
export const DEFAULTED: Client = { id: 'defaulted', secret: 'defaulted-secret' };
/** `mode: impersonation`: issued tokens carry no `act`. */
export const IMPERSONATOR: Client = { id: 'impersonator', secret: 'impersonator-secret' };
/** The seed's Spring Boot registration, in the demo file: client-id message-service, secret token. */
export const SPRING_MESSAGE_SERVICE: Client = { id: 'message-service', secret: 'token' };

/** The checked-in demo configuration (apps/auth-server/config/demo.yaml). */
export const DEMO_CONFIG_FILE = join(__dirname, '..', '..', '..', 'config', 'demo.yaml');

export type Form = Record<string, string | string[] | undefined>;

export interface TokenResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * A real auth server (the built bundle, spawned by the harness) with the token-exchange test
 * configuration and a signing key the tests also hold, so they can mint subject tokens the
 * server must judge on their claims alone (expired, other issuer, may_act, act chains...).
 */
export class ExchangeFixture {
  private constructor(
    readonly server: AuthServerHarness,
    private readonly signingKey: { kid: string; privateKey: KeyObject },
  ) {}

  /**
   * `configFile`: the declarative file (default: fixtures/token-exchange.yaml).
   * `previousKeys`: more keys for the server's JWKS after its ES256 signing key, as a key rotation
   * leaves them (published to verify, no longer signing).
   */
  static async start(
    options: { previousKeys?: { kid: string; alg: string; privateKey: KeyObject }[]; configFile?: string } = {},
  ): Promise<ExchangeFixture> {
    const directory = mkdtempSync(join(tmpdir(), 'token-exchange-test-'));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `test-${randomUUID()}`;
    const keysFile = join(directory, 'keys.json');
    const keys = [{ kid, alg: 'ES256', privateKey }, ...(options.previousKeys ?? [])].map((key) => ({
      ...key.privateKey.export({ format: 'jwk' }),
      kid: key.kid,
      alg: key.alg,
      use: 'sig',
    }));
    writeFileSync(keysFile, JSON.stringify({ keys }), { mode: 0o600 });
    const server = await startAuthServer({
      env: {
        AUTH_SERVER_CONFIG_FILE: options.configFile ?? join(__dirname, '..', 'fixtures', 'token-exchange.yaml'),
        AUTH_SERVER_KEYS_FILE: keysFile,
        AUTH_SERVER_SIGNING_ALG: 'ES256',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      },
    });
    return new ExchangeFixture(server, { kid, privateKey });
  }

  /** The `kid` of the key signing the server's tokens (and the ones `mint` makes). */
  get signingKid(): string {
    return this.signingKey.kid;
  }

  get issuer(): string {
    return this.server.issuer;
  }

  get tokenEndpoint(): string {
    return `${this.server.issuer}/oauth2/token`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** POSTs a form to the token endpoint, the client authenticating with HTTP Basic (or not at all). */
  async token(form: Form, client: Client | null = USER_SERVICE, headers: Record<string, string> = {}): Promise<TokenResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) {
      if (value === undefined) continue;
      for (const entry of Array.isArray(value) ? value : [value]) body.append(name, entry);
    }
    return this.post(body.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...(client === null ? {} : { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` }),
      ...headers,
    });
  }

  /** POSTs `body` to the token endpoint exactly as given, with exactly these headers (and fetch's own). */
  async post(body: string, headers: Record<string, string>): Promise<TokenResponse> {
    const response = await fetch(this.tokenEndpoint, { method: 'POST', headers, body });
    const text = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /** A token-exchange request; `subject_token_type` defaults to access_token. */
  exchange(form: Form, client: Client | null = USER_SERVICE): Promise<TokenResponse> {
    return this.token(
      { grant_type: TOKEN_EXCHANGE_GRANT_TYPE, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', ...form },
      client,
    );
  }

  /** A client_credentials access token of `client` (aud = its default resource). */
  async clientCredentials(client: Client, scope?: string): Promise<string> {
    const { status, body } = await this.token({ grant_type: 'client_credentials', scope }, client);
    if (status !== 200 || typeof body['access_token'] !== 'string') {
      throw new Error(`client_credentials for ${client.id} failed: ${status} ${JSON.stringify(body)}`);
    }
    return body['access_token'];
  }

  /** Alice's (or Bob's) token for user-service, through the real login, consent and code flow. */
  login(username: 'alice' | 'bob', scope?: string): Promise<TokenSet> {
    return this.server.login(username, `${username}-password`, scope === undefined ? {} : { scope });
  }

  /**
   * An access token signed with the server's own key: by default what the server issues to
   * demo-app for alice (aud user-service, the message scopes), valid for five minutes.
   */
  async mint(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
    const { SignJWT } = await import('jose');
    const now = Math.floor(Date.now() / 1000);
    const payload = Object.fromEntries(
      Object.entries({
        iss: this.issuer,
        sub: 'alice',
        aud: 'user-service',
        client_id: 'demo-app',
        scope: 'user.read message.read message.write',
        iat: now,
        exp: now + 300,
        jti: `minted-${randomUUID()}`,
        ...claims,
      }).filter(([, value]) => value !== undefined),
    );
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: this.signingKey.kid, typ: 'at+jwt', ...header } as { alg: string })
      .sign(this.signingKey.privateKey);
  }

  /**
   * The audit lines the server wrote so far (LOG_FORMAT=json: one JSON object per line under the
   * context `TokenExchangeAudit`, the entry's fields next to the logger's own with pino, nested
   * as `message` with Nest's own JSON logger).
   */
  auditEntries(): TokenExchangeAuditEntry[] {
    const entries: TokenExchangeAuditEntry[] = [];
    for (const line of this.server.process.logs.split('\n')) {
      if (!line.includes('"TokenExchangeAudit"')) continue;
      const record = JSON.parse(line) as Partial<TokenExchangeAuditEntry> & { context?: string; message?: unknown };
      if (record.context !== 'TokenExchangeAudit') continue;
      // pino puts the entry's fields on the line itself; Nest's own JSON logger nests it as `message`.
      const nested = record.message as Partial<TokenExchangeAuditEntry> | undefined;
      const fields = typeof nested === 'object' && nested !== null ? nested : record;
      if (fields.event === 'token_exchange') entries.push(auditFieldsOf(fields as TokenExchangeAuditEntry));
    }
    return entries;
  }

  /** Waits for the audit line of the request just answered (the child's output arrives asynchronously). */
  async auditEntryAfter(count: number): Promise<TokenExchangeAuditEntry> {
    const deadline = Date.now() + 2_000;
    for (;;) {
      const entries = this.auditEntries();
      if (entries.length > count) {
        if (entries.length > count + 1) throw new Error(`expected one audit line, got ${entries.length - count}`);
        return entries[count] as TokenExchangeAuditEntry;
      }
      if (Date.now() > deadline) throw new Error('no audit line was written');
      await new Promise((wait) => setTimeout(wait, 20));
    }
  }
}

/** The audit entry's own fields of a log line (without level, time of the line, service, requestId...). */
const AUDIT_FIELDS: readonly (keyof TokenExchangeAuditEntry)[] = [
  'event',
  'decidedAt',
  'result',
  'error',
  'errorDescription',
  'client',
  'subjectSub',
  'subjectJti',
  'fromAudience',
  'toAudience',
  'scopeRequested',
  'scopeGranted',
  'mode',
  'actChain',
  'actorSub',
  'actorJti',
  'issuedJti',
  'expiresIn',
];

function auditFieldsOf(line: TokenExchangeAuditEntry): TokenExchangeAuditEntry {
  return Object.fromEntries(AUDIT_FIELDS.filter((field) => field in line).map((field) => [field, line[field]])) as unknown as TokenExchangeAuditEntry;
}

/** The claims of a compact JWT, unverified (tests verify with the JWKS separately). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
