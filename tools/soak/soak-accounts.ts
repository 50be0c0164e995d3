/**
 * The soak's account work, in the workspace's own code (run through ts-node by `soak.mts`):
 *   hash <count>                 prints JSON [{ password, passwordHash }] (the auth server's scrypt hashing, at SOAK_SCRYPT_COST)
 *   login <baseUrl> <json file>  logs each { username, password } of the file in through the login and consent
 *                                pages (authorizationCodeLogin, as a browser would, CSRF token included) and prints
 *                                JSON [access_token] in the same order
 */
import { authorizationCodeLogin } from '@baton/testing';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hashPassword, ScryptParameters } from '../../apps/auth-server/src/passwords/scrypt-password';

/**
 * The soak's synthetic users are test accounts with random passwords, hashed at the demo file's
 * cost (N=2^15) rather than the default for real users (N=2^17, 128 MiB and 200-400 ms a hash):
 * at the default, hashing a few hundred accounts would take minutes, and every soak login would
 * cost the auth server four times the CPU and memory, measuring scrypt instead of the service and
 * making figures incomparable with soaks run before the default was raised. Never use this for
 * real users' passwords: those get the default through `npm run hash-password`.
 */
const SOAK_SCRYPT_COST: ScryptParameters = { logN: 15, r: 8, p: 1 };

/** Logins in flight at once: each costs the auth server one scrypt verification (~50 ms). */
const LOGIN_CONCURRENCY = 4;

async function hash(count: number): Promise<unknown[]> {
  const accounts = [];
  for (let index = 0; index < count; index += 1) {
    const password = randomBytes(18).toString('base64url');
    accounts.push({ password, passwordHash: await hashPassword(password, SOAK_SCRYPT_COST) });
  }
  return accounts;
}

async function login(baseUrl: string, file: string): Promise<string[]> {
  const users = JSON.parse(readFileSync(file, 'utf8')) as { username: string; password: string }[];
  const tokens = new Array<string>(users.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < users.length) {
      const index = next;
      next += 1;
      const user = users[index];
      if (user === undefined) continue;
      tokens[index] = (await authorizationCodeLogin({ baseUrl, username: user.username, password: user.password })).access_token;
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  return tokens;
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'hash') {
    process.stdout.write(`${JSON.stringify(await hash(Number(args[0])))}\n`);
  } else if (command === 'login' && args[0] !== undefined && args[1] !== undefined) {
    process.stdout.write(`${JSON.stringify(await login(args[0], args[1]))}\n`);
  } else {
    throw new Error('usage: soak-accounts.ts hash <count> | login <baseUrl> <users.json>');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
