import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Agent, Agent as HttpAgent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LineBatch } from './batched-destination';

/** A synchronous destination that records each write it is given (one write = one system call). */
class RecordingTarget {
  readonly writes: string[] = [];
  write(text: string): void {
    this.writes.push(text);
  }
}

const endOfRound = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LineBatch (stdout in JSON mode)', () => {
  it('writes a line at once; lines written later wait for the end of the round of the event loop and go out together, in order', async () => {
    const target = new RecordingTarget();
    const batch = new LineBatch(target);
    batch.write('{"n":1}\n');
    expect(target.writes).toEqual(['{"n":1}\n']);
    batch.writeLater('{"n":2}\n');
    batch.writeLater('{"n":3}\n');
    expect(target.writes).toEqual(['{"n":1}\n']);
    await endOfRound();
    expect(target.writes).toEqual(['{"n":1}\n', '{"n":2}\n{"n":3}\n']);
  });

  it('writes the waiting lines ahead of the next line, in the same write', () => {
    const target = new RecordingTarget();
    const batch = new LineBatch(target);
    batch.writeLater('{"request":1}\n');
    batch.writeLater('{"request":2}\n');
    batch.write('{"audit":3}\n');
    expect(target.writes).toEqual(['{"request":1}\n{"request":2}\n{"audit":3}\n']);
  });

  it('writes a large batch at once, without waiting for the end of the round', () => {
    const target = new RecordingTarget();
    const batch = new LineBatch(target);
    const line = `${JSON.stringify({ filler: 'x'.repeat(1000) })}\n`;
    for (let index = 0; index < 80; index += 1) batch.writeLater(line);
    expect(target.writes.length).toBeGreaterThanOrEqual(1);
    expect(target.writes.join('').length).toBeGreaterThanOrEqual(64 * 1024);
    batch.flush();
    expect(target.writes.join('')).toBe(line.repeat(80));
  });

  it('writes nothing when nothing is waiting (an idle service makes no system calls)', async () => {
    const target = new RecordingTarget();
    const batch = new LineBatch(target);
    batch.flush();
    await endOfRound();
    expect(target.writes).toEqual([]);
  });

  it("has written a request's line logged while it was handled before its answer, and its request line before the next request is read", async () => {
    const target = new RecordingTarget();
    const batch = new LineBatch(target);
    const seenAtStart: string[] = [];
    const seenBeforeAnswer: string[] = [];
    const server = createServer((request, response) => {
      seenAtStart.push(target.writes.join(''));
      batch.write(`{"audit":${JSON.stringify(request.url)}}\n`);
      seenBeforeAnswer.push(target.writes.join(''));
      response.once('close', () => batch.writeLater(`{"request":${JSON.stringify(request.url)}}\n`));
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // One keep-alive connection: each request is sent the moment the previous answer is read.
    const agent: Agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const path of ['/a', '/b']) {
        await new Promise<void>((resolve, reject) => {
          httpRequest({ port, host: '127.0.0.1', path, agent }, (response) => {
            response.resume();
            response.on('end', resolve);
          }).on('error', reject).end();
        });
      }
    } finally {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const a = '{"audit":"/a"}\n{"request":"/a"}\n';
    expect(seenAtStart).toEqual(['', a]);
    expect(seenBeforeAnswer).toEqual(['{"audit":"/a"}\n', `${a}{"audit":"/b"}\n`]);
  });

  it.each([
    ['the process exits (process.exit, as after the graceful shutdown)', 'process.exit(3);', 3],
    ['an uncaught exception ends the process', "throw new Error('crash');", 1],
  ])('loses no waiting line when %s', async (_case, ending, expectedCode) => {
    const module = join(__dirname, 'batched-destination.ts');
    const script = [
      `import { stdoutLines } from ${JSON.stringify(module)};`,
      'process.stdout;',
      'const lines = stdoutLines();',
      `for (let i = 0; i < 5; i += 1) lines.writeLater(JSON.stringify({ i }) + '\\n');`,
      ending,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '--disable-warning=ExperimentalWarning', '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, output }).toEqual({ code: expectedCode, output: [0, 1, 2, 3, 4].map((i) => `{"i":${i}}\n`).join('') });
  }, 30_000);
});

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
