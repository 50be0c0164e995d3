import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { verifyPassword } from './scrypt-password';

const ROOT = join(__dirname, '..', '..', '..', '..');

function hashPasswordCommand(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('npm', ['run', '--silent', 'hash-password', '--', ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

jest.setTimeout(60_000);

describe('npm run hash-password', () => {
  it('[H15] prints a hash of the argument, at N = 2^17, r = 8, p = 1, that the server verifies', async () => {
    const { status, stdout } = hashPasswordCommand(['correct horse battery staple']);
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
    await expect(verifyPassword('correct horse battery staple', lines[0] ?? '')).resolves.toBe(true);
  });

  it('reads the password from standard input when no argument is given', async () => {
    const { status, stdout } = hashPasswordCommand([], 'from-stdin\n');
    expect(status).toBe(0);
    await expect(verifyPassword('from-stdin', stdout.trim())).resolves.toBe(true);
  });

  it('refuses an empty password with a usage line', () => {
    const { status, stdout, stderr } = hashPasswordCommand([], '');
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: npm run hash-password -- <password>');
  });
});
