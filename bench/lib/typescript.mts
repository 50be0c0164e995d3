import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { workspaceRoot } from './server.mts';

/**
 * Runs a TypeScript file of bench/ (`file` relative to bench/, e.g. `user-service/user-token.ts`)
 * with ts-node (transpile only) and tsconfig-paths, under the tsconfig.json of its folder, as
 * those files import the workspace libs (decorators: Node's type stripping cannot run them).
 * `input` is passed as JSON in argv[2]; resolves with what the file printed.
 */
export function runTypeScript(file: string, input: unknown): Promise<string> {
  const path = join(workspaceRoot, 'bench', file);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', path, JSON.stringify(input)], {
      cwd: workspaceRoot,
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(dirname(path), 'tsconfig.json'),
        TS_NODE_TRANSPILE_ONLY: 'true',
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${file} failed (${code}): ${errors}`))));
  });
}
