/**
 * Prints an access token of a demo user for user-service (authorization code + PKCE through the
 * login and consent pages), using the same helper as the tests. Run through ts-node by
 * `chain.bench.mts`: argv[2] = JSON { baseUrl, username, password }.
 */
import { authorizationCodeLogin } from '@baton/testing';

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as { baseUrl: string; username: string; password: string };
  const tokens = await authorizationCodeLogin(input);
  process.stdout.write(`${tokens.access_token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
