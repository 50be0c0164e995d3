import type { ExchangeFixture, TokenResponse } from './exchange-fixture';

/**
 * Sends a request that must be refused and checks what the client sees (status, `error`, the exact
 * `error_description`, `Cache-Control: no-store`, no token) and that exactly one audit line with
 * the same error was written for it.
 */
export async function expectRefusal(
  fixture: ExchangeFixture,
  send: () => Promise<TokenResponse>,
  expected: { status?: number; error: string; description: string },
): Promise<TokenResponse> {
  const audited = fixture.auditEntries().length;
  const response = await send();
  expect({ status: response.status, error: response.body['error'], description: response.body['error_description'] }).toEqual({
    status: expected.status ?? 400,
    error: expected.error,
    description: expected.description,
  });
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.body).not.toHaveProperty('access_token');
  const entry = await fixture.auditEntryAfter(audited);
  expect(entry).toMatchObject({ event: 'token_exchange', result: 'refused', error: expected.error, errorDescription: expected.description });
  return response;
}
