/**
 * Prints an access token of a user (authorization code + PKCE through the auth server's login and
 * consent pages), with the same login driver as Baton's tests. Run by adoption.mts through
 * ts-node (transpile only) and tsconfig-paths: argv[2] = JSON { baseUrl, username, password,
 * clientId, scope, resource? }.
 */
import { authorizationCodeLogin, AuthorizationCodeLoginOptions } from '@baton/testing';

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as AuthorizationCodeLoginOptions;
  const tokens = await authorizationCodeLogin(input);
  process.stdout.write(`${tokens.access_token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
