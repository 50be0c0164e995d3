import { spawn } from 'node:child_process';
import { join } from 'node:path';

// FileDescriptorWriter runs in a child process (its stdout is the pipe under test), imported there by path.
describe('FileDescriptorWriter (stdout)', () => {
  it('writes every byte to a pipe whose reader is slow (a full pipe, partial writes), in order', async () => {
    const module = join(__dirname, 'batched-destination.ts');
    // 200 lines of ~10 kB with two-byte characters: far more than a pipe holds (64 kB).
    const script = [
      `import { FileDescriptorWriter } from ${JSON.stringify(module)};`,
      // As in a service, stdout is also a Node stream: libuv makes the pipe non-blocking.
      'process.stdout;',
      'const writer = new FileDescriptorWriter(1);',
      `for (let i = 0; i < 200; i += 1) writer.write(JSON.stringify({ i, filler: 'é'.repeat(5000) }) + '\\n');`,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '--disable-warning=ExperimentalWarning', '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    // Nothing is read for a while: the child finds the pipe full.
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.stdout.resume();
    }, 300);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, errors }).toEqual({ code: 0, errors: '' });
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
    expect(lines.map((line) => (JSON.parse(line) as { i: number }).i)).toEqual([...Array(200).keys()]);
  }, 30_000);

  it('stops writing, without an error, once the reader is gone (EPIPE)', async () => {
    const module = join(__dirname, 'batched-destination.ts');
    const script = [
      `import { FileDescriptorWriter } from ${JSON.stringify(module)};`,
      'process.stdout;',
      'const writer = new FileDescriptorWriter(1);',
      `for (let i = 0; i < 200; i += 1) writer.write(JSON.stringify({ i, filler: 'x'.repeat(10000) }) + '\\n');`,
      `process.stderr.write('done');`,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '--disable-warning=ExperimentalWarning', '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, errors }).toEqual({ code: 0, errors: 'done' });
  }, 30_000);
});
