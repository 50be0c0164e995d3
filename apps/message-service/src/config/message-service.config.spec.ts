import { ConfigValidationError, loadConfig, summarizeConfig } from '@baton/config';
import { messageDatabaseForLogs, messageServiceConfig } from './message-service.config';

const load = (database?: string) =>
  loadConfig(messageServiceConfig.schema, { AUTH_ISSUER: 'http://127.0.0.1:9', ...(database === undefined ? {} : { MESSAGE_SERVICE_DATABASE: database }) });

describe('MESSAGE_SERVICE_DATABASE', () => {
  it('keeps SQLite by default, for a file path and for :memory:', () => {
    expect(load().database).toBe('.data/message-service/messages.sqlite');
    expect(load('/var/lib/messages.sqlite').database).toBe('/var/lib/messages.sqlite');
    expect(load(':memory:').database).toBe(':memory:');
    expect(load().databasePoolSize).toBe(10);
  });

  it('takes a postgres:// or postgresql:// URL, and never shows its password', () => {
    const url = 'postgresql://baton:s3cret-pw@db.internal:5432/messages?sslmode=require';
    const config = load(url);
    expect(config.database).toBe(url);
    const summary = { ...summarizeConfig(messageServiceConfig.schema, config), MESSAGE_SERVICE_DATABASE: messageDatabaseForLogs(config.database) };
    expect(summary['MESSAGE_SERVICE_DATABASE']).toBe('postgresql://baton@db.internal:5432/messages');
    expect(JSON.stringify(summary)).not.toContain('s3cret-pw');
    expect(messageDatabaseForLogs('/data/messages.sqlite')).toBe('/data/messages.sqlite');
  });

  it('refuses a PostgreSQL URL it cannot use without echoing it', () => {
    for (const bad of ['postgres://', 'postgres:///nohost', 'postgres:user:s3cret-pw@host']) {
      let error: unknown;
      try {
        load(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as Error).message).toBe(
        'MESSAGE_SERVICE_DATABASE must be a SQLite file path, :memory:, or a postgres://user:password@host:5432/database URL',
      );
    }
  });
});

describe('DPoP settings', () => {
  const dpop = (env: Record<string, string>) => loadConfig(messageServiceConfig.schema, { AUTH_ISSUER: 'http://127.0.0.1:9', ...env });

  it('requires DPoP for exchanged tokens by default, with a 60 s window, no nonces, the public URL from RESOURCE_URI', () => {
    expect(dpop({})).toMatchObject({ requireDpop: 'exchanged', dpopIatWindowSeconds: 60, dpopNonceSecret: '', publicUrl: '' });
    expect(dpop({ MESSAGE_SERVICE_REQUIRE_DPOP: 'always', MESSAGE_SERVICE_PUBLIC_URL: 'https://messages.example/' })).toMatchObject({
      requireDpop: 'always',
      publicUrl: 'https://messages.example',
    });
  });

  it('refuses a short nonce secret without echoing it, and an unknown requirement', () => {
    let error: unknown;
    try {
      dpop({ MESSAGE_SERVICE_DPOP_NONCE_SECRET: 'short-s3cret' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as Error).message).toContain('MESSAGE_SERVICE_DPOP_NONCE_SECRET must be empty or at least 32 characters');
    expect((error as Error).message).not.toContain('short-s3cret');
    expect(() => dpop({ MESSAGE_SERVICE_REQUIRE_DPOP: 'sometimes' })).toThrow(/MESSAGE_SERVICE_REQUIRE_DPOP must be one of exchanged, always, never/);
    expect(() => dpop({ MESSAGE_SERVICE_DPOP_IAT_WINDOW_SECONDS: '0' })).toThrow(/MESSAGE_SERVICE_DPOP_IAT_WINDOW_SECONDS/);
  });
});
