/**
 * Prints the scrypt hash of a password for the `users` section of the declarative file:
 *   npm run hash-password -- 'correct horse battery staple'
 *   printf '%s' "$PASSWORD" | npm run --silent hash-password      (keeps it out of shell history)
 */
import { hashPassword } from './scrypt-password';

async function readStandardInput(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && chunk.includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  const password = process.argv[2] ?? (await readStandardInput());
  if (password === '') {
    process.stderr.write('Usage: npm run hash-password -- <password>   (or the password on standard input)\n');
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
}

void main();
