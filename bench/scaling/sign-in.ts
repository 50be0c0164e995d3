/**
 * Signs demo users in `count` times (authorization code + PKCE through the login and consent
 * pages, the tests' helper) and prints the token sets as JSON. Run through ts-node by
 * `bench/scaling/index.mts`: argv[2] = JSON { baseUrl, count }.
 */
import { authorizationCodeLogin } from '@baton/testing';

const USERS = [
  { username: 'alice', password: 'alice-password' },
  { username: 'bob', password: 'bob-password' },
];

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as { baseUrl: string; count: number };
  const tokens = [];
  for (let index = 0; index < input.count; index += 1) {
    const user = USERS[index % USERS.length] as (typeof USERS)[number];
    tokens.push(await authorizationCodeLogin({ baseUrl: input.baseUrl, ...user }));
  }
  process.stdout.write(`${JSON.stringify(tokens)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
