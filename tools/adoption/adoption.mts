/**
 * The adoption test (issue 13): the three packages used the way another team would use them.
 *
 * 1. Builds the packages (and the auth server and message-service), `npm pack`s each
 *    `dist/libs/<name>` into a temporary folder.
 * 2. Copies `examples/adopter` and `examples/oidc-provider-plugin` there, points their `@baton/*`
 *    dependencies at the tarballs, installs everything else from the registry, and compiles each
 *    with its own strict tsc (no skipLibCheck: the packages' type files are checked too).
 * 3. Compiles every ```ts block of the package READMEs, docs/resource-server.md,
 *    docs/token-exchange-client.md, docs/token-exchange.md and the README's adoption section in
 *    the adopter's copy (the grant's, which import no NestJS, in the plain oidc-provider example's),
 *    with an import of every package entry point so that all type files are checked; a block
 *    preceded by `<!-- snippet: not compiled -->` is skipped.
 * 4. Starts the auth server with `examples/adopter/baton-auth-server.yaml`, message-service and
 *    the adopter (all on free 127.0.0.1 ports, data in the temporary folder) and proves over HTTP
 *    what an adopter needs; then starts the plain oidc-provider example and exchanges a token there.
 *
 * One PASS/FAIL line per check, a closing `N passed, N failed` line; exit 1 on any failure.
 * Run: `npm run test:adoption` (or `node tools/adoption/adoption.mts`). Environment:
 * ADOPTION_SKIP_BUILD=1 reuses dist/ as it is; ADOPTION_KEEP=1 keeps the temporary folder.
 * Node 24 runs this file by stripping its types (so: no enums, namespaces or parameter properties).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { extractSnippets, type Snippet } from './snippets.mts';

const workspaceRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const PACKAGES = ['oidc-provider-token-exchange', 'token-exchange', 'resource-server'] as const;
/** The documents whose ```ts blocks must compile (the README only from its adoption section). */
const DOCUMENTS = [
  ...PACKAGES.map((name) => `libs/${name}/README.md`),
  'docs/resource-server.md',
  'docs/token-exchange-client.md',
  'docs/token-exchange.md',
  'README.md#Adopting the libraries in your own NestJS service',
];
/**
 * What the snippets may import besides what the adopter itself depends on: the grant plugin and
 * oidc-provider (docs/token-exchange.md), ConfigService (forRootAsync examples), jose, Nest's testing module.
 */
const SNIPPET_DEV_DEPENDENCIES: Record<string, string> = {
  '@nestjs/config': '^12.0.1',
  '@nestjs/testing': '^12.1.1',
  jose: '^6.2.18',
  'oidc-provider': '^9.13.3',
};
const INSTALL_TIMEOUT_MS = 240_000;

interface Result {
  name: string;
  ok: boolean;
  detail?: string;
}
const results: Result[] = [];
const processes: ChildProcess[] = [];

function record(name: string, ok: boolean, detail?: string): boolean {
  results.push({ name, ok, detail });
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${name}${!ok && detail ? `\n     ${detail.split('\n').join('\n     ')}` : ''}\n`);
  return ok;
}

function note(text: string): void {
  process.stdout.write(`== ${text}\n`);
}

/** Runs a command to completion; resolves with its exit code and its output (stdout + stderr). */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n(killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node <main>` and waits until `readyUrl` answers 2xx; its output goes to `logFile`. */
async function startNode(name: string, main: string, options: { cwd: string; env: Record<string, string>; readyUrl: string; logFile: string }): Promise<ChildProcess> {
  const log = createWriteStream(options.logFile);
  const child = spawn(process.execPath, [main], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(child);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${tail(await readFile(options.logFile, 'utf8'))}`);
    try {
      if ((await fetch(options.readyUrl, { signal: AbortSignal.timeout(1_000) })).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready at ${options.readyUrl} within 30 s:\n${tail(await readFile(options.logFile, 'utf8'))}`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

async function stopAll(): Promise<void> {
  await Promise.all(
    processes.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** The payload of a JWT, decoded without verification (the test only reads claims it asserts). */
function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function getJson(url: string, token?: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the failure message
  }
  return { status: response.status, headers: response.headers, body };
}

/** Checks one HTTP answer; `expectation` returns a problem, or undefined when the answer is right. */
async function check(name: string, request: () => Promise<{ status: number; headers: Headers; body: unknown }>, expectation: (answer: { status: number; headers: Headers; body: unknown }) => string | undefined): Promise<void> {
  try {
    const answer = await request();
    const problem = expectation(answer);
    record(name, problem === undefined, problem === undefined ? undefined : `${problem}; got ${answer.status} ${JSON.stringify(answer.body)}`);
  } catch (error) {
    record(name, false, error instanceof Error ? error.message : String(error));
  }
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

// ---------------------------------------------------------------------------------------------

async function buildAndPack(temp: string): Promise<Map<string, string> | undefined> {
  if (process.env['ADOPTION_SKIP_BUILD'] !== '1') {
    note('build: the three packages, auth-server, message-service');
    const build = await run('npx', ['nx', 'run-many', '-t', 'build', '-p', ...PACKAGES, 'auth-server', 'message-service', '--outputStyle=static'], {
      cwd: workspaceRoot,
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    if (!record('nx build of the three packages, auth-server and message-service', build.code === 0, tail(build.output))) return undefined;
  }
  const packed = new Map<string, string>();
  await mkdir(join(temp, 'packages'));
  for (const name of PACKAGES) {
    const dist = join(workspaceRoot, 'dist', 'libs', name);
    const pack = await run('npm', ['pack', dist, '--pack-destination', join(temp, 'packages'), '--json'], { cwd: temp });
    let file: string | undefined;
    try {
      file = (JSON.parse(pack.output.slice(pack.output.indexOf('['))) as { filename: string }[])[0]?.filename;
    } catch {
      file = undefined;
    }
    if (!record(`npm pack @baton/${name}`, pack.code === 0 && file !== undefined, tail(pack.output))) return undefined;
    packed.set(`@baton/${name}`, join(temp, 'packages', basename(file as string)));
  }
  return packed;
}

/** Copies an example to the temporary folder with its `@baton/*` dependencies on the tarballs, and installs it. */
async function installExample(example: string, temp: string, packed: Map<string, string>, extraDev: Record<string, string> = {}): Promise<string | undefined> {
  const target = join(temp, example);
  await cp(join(workspaceRoot, 'examples', example), target, {
    recursive: true,
    filter: (source) => !/\/(node_modules|dist)(\/|$)/.test(source),
  });
  const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const onTarball = (dependencies: Record<string, string> = {}): Record<string, string> =>
    Object.fromEntries(Object.entries(dependencies).map(([name, range]) => [name, packed.has(name) ? `file:${packed.get(name)}` : range]));
  manifest.dependencies = onTarball(manifest.dependencies);
  manifest.devDependencies = onTarball({ ...manifest.devDependencies, ...extraDev });
  await writeFile(join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: target, timeoutMs: INSTALL_TIMEOUT_MS });
  return record(`${example}: npm install of the packed packages and their peers from the registry`, install.code === 0, tail(install.output)) ? target : undefined;
}

function compiledOrNot(tsc: { ok: boolean; output: string }): [boolean, string] {
  return [tsc.ok, tail(tsc.output)];
}

async function compile(directory: string, project = 'tsconfig.json'): Promise<{ ok: boolean; output: string }> {
  const tsc = await run(process.execPath, [join(directory, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--pretty', 'false'], { cwd: directory });
  return { ok: tsc.code === 0, output: tsc.output };
}

/** Where a snippet is compiled: the plain oidc-provider example for the grant's, the adopter for the rest. */
function isPluginSnippet(code: string): boolean {
  const importsFrom = (pattern: RegExp): boolean => [...code.matchAll(/from\s+'([^']+)'/g)].some((match) => pattern.test(match[1] ?? ''));
  return importsFrom(/^(oidc-provider|@baton\/oidc-provider-token-exchange)(\/|$)/) && !importsFrom(/^(@nestjs\/|@baton\/(resource-server|token-exchange))/);
}

/**
 * Writes `files` into `<directory>/snippets`, compiles them with the directory's tsconfig (noEmit,
 * each file its own module) and returns the errors by file name, and those in no snippet.
 */
async function compileFiles(directory: string, files: { fileName: string; code: string }[]): Promise<{ errorsByFile: Map<string, string[]>; elsewhere: string[] }> {
  const folder = join(directory, 'snippets');
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  for (const file of files) await writeFile(join(folder, file.fileName), file.code);
  await writeFile(
    join(directory, 'tsconfig.snippets.json'),
    JSON.stringify({
      extends: './tsconfig.json',
      // Each block is its own module, as a reader would paste it into a file of their own.
      compilerOptions: { noEmit: true, rootDir: '.', moduleDetection: 'force' },
      include: ['snippets/*.ts'],
    }),
  );
  const tsc = await compile(directory, 'tsconfig.snippets.json');
  const errorsByFile = new Map<string, string[]>();
  const elsewhere: string[] = [];
  for (const line of tsc.output.split('\n')) {
    const match = /^snippets\/([^(]+)\(/.exec(line);
    if (match?.[1] !== undefined) errorsByFile.set(match[1], [...(errorsByFile.get(match[1]) ?? []), line.replace(/^snippets\/[^(]+/, '')]);
    else if (/error TS\d+/.test(line)) elsewhere.push(line);
  }
  if (!tsc.ok && errorsByFile.size === 0 && elsewhere.length === 0) elsewhere.push(tail(tsc.output));
  return { errorsByFile, elsewhere };
}

async function compileSnippets(adopter: string, plugin: string | undefined): Promise<void> {
  const snippets: Snippet[] = [];
  let skipped = 0;
  for (const document of DOCUMENTS) {
    const [path, section] = document.split('#') as [string, string | undefined];
    const file = join(workspaceRoot, path);
    if (!existsSync(file)) {
      record(`snippets of ${path}: the document exists`, false, `${path} is missing`);
      continue;
    }
    const found = extractSnippets(await readFile(file, 'utf8'), path, section);
    skipped += found.filter((snippet) => snippet.skipped).length;
    if (section !== undefined && found.length === 0) record(`snippets of ${document}: the section has a ts block`, false, 'no ```ts block found in that section');
    snippets.push(...found.filter((snippet) => !snippet.skipped));
  }
  // The grant's snippets compile in the plain oidc-provider example: the adopter's tree also holds
  // express 5, whose content-disposition 2 ships types that @types/koa (under @types/oidc-provider)
  // does not match, an upstream clash that is no snippet's fault.
  const places = [
    { name: 'adopter', directory: adopter, packages: ['resource-server', 'token-exchange'], snippets: snippets.filter((snippet) => plugin === undefined || !isPluginSnippet(snippet.code)) },
    ...(plugin === undefined ? [] : [{ name: 'oidc-provider-plugin', directory: plugin, packages: ['oidc-provider-token-exchange'], snippets: snippets.filter((snippet) => isPluginSnippet(snippet.code)) }]),
  ];
  for (const place of places) {
    // Every entry point of the packages, so that all their type files are checked, not only those the examples reach.
    const entryPoints = await packageEntryPoints(place.directory, place.packages);
    const { errorsByFile, elsewhere } = await compileFiles(place.directory, [
      ...place.snippets,
      { fileName: ENTRY_POINTS_FILE, code: entryPoints.map((specifier, index) => `import * as entry${index} from '${specifier}';\nexport { entry${index} };\n`).join('') },
    ]);
    const entryErrors = errorsByFile.get(ENTRY_POINTS_FILE);
    record(`${place.name}: type files of ${entryPoints.join(', ')} compile, strict, no skipLibCheck`, entryErrors === undefined && entryPoints.length > 0, entryErrors?.slice(0, 8).join('\n') ?? 'no entry point found');
    for (const snippet of place.snippets) {
      const errors = errorsByFile.get(snippet.fileName);
      record(`snippet ${snippet.source}:${snippet.line} compiles (in ${place.name})`, errors === undefined, errors?.slice(0, 8).join('\n'));
    }
    if (elsewhere.length > 0) record(`${place.name}: no compile error outside the snippets (in installed type files)`, false, tail(elsewhere.join('\n')));
  }
  // The same code under `module: commonjs` with TypeScript's default resolution for it, as many Nest apps are set up.
  await writeFile(
    join(adopter, 'tsconfig.commonjs.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { module: 'commonjs', moduleResolution: null, noEmit: true, rootDir: '.', moduleDetection: 'force' }, include: ['src/**/*.ts', 'snippets/*.ts'] }),
  );
  const commonjs = await compile(adopter, 'tsconfig.commonjs.json');
  record('adopter: its code, the snippets and the entry points also compile with module commonjs', commonjs.ok, tail(commonjs.output));
  note(`${snippets.length} snippets compiled, ${skipped} marked not compiled`);
}

const ENTRY_POINTS_FILE = 'package-entry-points.ts';

/** `@baton/<name>` and `@baton/<name>/<sub>` for every `exports` entry of the installed packages. */
async function packageEntryPoints(directory: string, packages: readonly string[]): Promise<string[]> {
  const specifiers: string[] = [];
  for (const name of packages) {
    const manifest = JSON.parse(await readFile(join(directory, 'node_modules', '@baton', name, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
    for (const entry of Object.keys(manifest.exports ?? { '.': null })) {
      if (entry === '.') specifiers.push(`@baton/${name}`);
      else if (!entry.endsWith('.json')) specifiers.push(`@baton/${name}/${entry.replace(/^\.\//, '')}`);
    }
  }
  return specifiers;
}

/** A real user's token for the adopter: authorization code + PKCE with the test's login driver. */
async function userToken(issuer: string, scope = 'openid profile adopter.read message.read'): Promise<string> {
  const helper = await run(
    process.execPath,
    ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', join(workspaceRoot, 'tools', 'adoption', 'user-token.ts'), JSON.stringify({ baseUrl: issuer, username: 'alice', password: 'alice-password', clientId: 'adopter-app', scope })],
    {
      cwd: workspaceRoot,
      env: { ...process.env, TS_NODE_PROJECT: join(workspaceRoot, 'tools', 'adoption', 'tsconfig.json'), TS_NODE_TRANSPILE_ONLY: 'true' },
      timeoutMs: 60_000,
    },
  );
  if (helper.code !== 0) throw new Error(`login as alice failed: ${tail(helper.output, 10)}`);
  return helper.output.trim().split('\n').pop() ?? '';
}

async function adopterOverHttp(temp: string, adopter: string): Promise<void> {
  const [authPort, messagePort, adopterPort] = [await freePort(), await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${authPort}`;
  const messageUrl = `http://127.0.0.1:${messagePort}`;
  const adopterUrl = `http://127.0.0.1:${adopterPort}`;
  const logs = join(temp, 'logs');
  await mkdir(logs, { recursive: true });
  await mkdir(join(temp, 'data', 'auth-server'), { recursive: true });
  try {
    note(`start: auth server (${issuer}) with examples/adopter/baton-auth-server.yaml, message-service (${messageUrl}), the adopter (${adopterUrl})`);
    await startNode('auth-server', join(workspaceRoot, 'dist', 'apps', 'auth-server', 'main.js'), {
      cwd: workspaceRoot,
      env: {
        HOST: '127.0.0.1',
        AUTH_SERVER_PORT: String(authPort),
        AUTH_SERVER_ISSUER: issuer,
        AUTH_SERVER_DATA_DIR: join(temp, 'data', 'auth-server'),
        AUTH_SERVER_CONFIG_FILE: join(adopter, 'baton-auth-server.yaml'),
      },
      readyUrl: `${issuer}/health/ready`,
      logFile: join(logs, 'auth-server.log'),
    });
    await startNode('message-service', join(workspaceRoot, 'dist', 'apps', 'message-service', 'main.js'), {
      cwd: workspaceRoot,
      env: {
        HOST: '127.0.0.1',
        MESSAGE_SERVICE_PORT: String(messagePort),
        MESSAGE_SERVICE_DATABASE: join(temp, 'data', 'messages.sqlite'),
        AUTH_ISSUER: issuer,
        // The URL the adopter calls it at: DPoP proofs name it (htu). Exchanged tokens must be
        // DPoP-bound here (the default), so the inbox check below proves the adopter's proofs.
        MESSAGE_SERVICE_PUBLIC_URL: messageUrl,
        MESSAGE_SERVICE_REQUIRE_DPOP: 'exchanged',
      },
      readyUrl: `${messageUrl}/health/ready`,
      logFile: join(logs, 'message-service.log'),
    });
    await startNode('adopter', join(adopter, 'dist', 'main.js'), {
      cwd: adopter,
      env: { PORT: String(adopterPort), AUTH_ISSUER: issuer, MESSAGE_SERVICE_URL: messageUrl },
      readyUrl: `${adopterUrl}/api/hello`,
      logFile: join(logs, 'adopter.log'),
    });
    record('the auth server, message-service and the adopter start', true);
  } catch (error) {
    record('the auth server, message-service and the adopter start', false, error instanceof Error ? error.message : String(error));
    return;
  }

  await check('adopter: a public route answers 200 without a token', () => getJson(`${adopterUrl}/api/hello`), ({ status, body }) =>
    status === 200 && field(body, 'service') === 'adopter-service' ? undefined : 'expected 200 { service: "adopter-service" }',
  );
  await check('adopter: no token → 401 with the RFC 6750 challenge (WWW-Authenticate: Bearer)', () => getJson(`${adopterUrl}/api/me`), ({ status, headers }) => {
    const challenge = headers.get('www-authenticate') ?? '';
    return status === 401 && /^Bearer\b/.test(challenge) && challenge.includes('realm="adopter-service"')
      ? undefined
      : `expected 401 + WWW-Authenticate: Bearer realm="adopter-service", got WWW-Authenticate ${JSON.stringify(challenge)}`;
  });
  await check('adopter: a forged token → 401 error="invalid_token"', () => getJson(`${adopterUrl}/api/me`, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.'), ({ status, headers }) =>
    status === 401 && (headers.get('www-authenticate') ?? '').includes('error="invalid_token"') ? undefined : 'expected 401 with error="invalid_token"',
  );

  let token: string;
  try {
    token = await userToken(issuer);
    const claims = jwtClaims(token);
    record('alice signs in at the auth server (authorization code + PKCE) for audience adopter-service', claims['aud'] === 'adopter-service' || (Array.isArray(claims['aud']) && claims['aud'].includes('adopter-service')), `aud ${JSON.stringify(claims['aud'])}`);
  } catch (error) {
    record('alice signs in at the auth server (authorization code + PKCE) for audience adopter-service', false, error instanceof Error ? error.message : String(error));
    return;
  }
  await check("adopter: alice's token → 200 with her identity", () => getJson(`${adopterUrl}/api/me`, token), ({ status, body }) =>
    status === 200 && field(body, 'sub') === 'alice' && field(body, 'clientId') === 'adopter-app' ? undefined : 'expected 200 { sub: "alice", clientId: "adopter-app" }',
  );
  await check("adopter: exchange + call to message-service (DPoP-bound, required on both sides) → 200, alice's inbox with actor adopter-service", () => getJson(`${adopterUrl}/api/inbox`, token), ({ status, body }) =>
    status === 200 && field(body, 'subject') === 'alice' && field(body, 'actor') === 'adopter-service' && Array.isArray(field(body, 'messages'))
      ? undefined
      : 'expected 200 { subject: "alice", actor: "adopter-service", messages: [...] }',
  );
  await check('adopter: its protected resource metadata (RFC 9728) names the auth server', () => getJson(`${adopterUrl}/.well-known/oauth-protected-resource`), ({ status, body }) => {
    const servers = field(body, 'authorization_servers');
    return status === 200 && field(body, 'resource') === 'http://localhost:8090' && Array.isArray(servers) && servers.includes(issuer)
      ? undefined
      : `expected 200 { resource: "http://localhost:8090", authorization_servers: ["${issuer}"] }`;
  });
  try {
    const narrow = await userToken(issuer, 'openid adopter.read');
    await check('adopter: a token without message.read → 403 error="insufficient_scope" on the inbox', () => getJson(`${adopterUrl}/api/inbox`, narrow), ({ status, headers }) => {
      const challenge = headers.get('www-authenticate') ?? '';
      return status === 403 && challenge.includes('error="insufficient_scope"') && challenge.includes('scope="message.read"')
        ? undefined
        : `expected 403 + WWW-Authenticate: Bearer error="insufficient_scope", scope="message.read", got ${JSON.stringify(challenge)}`;
    });
  } catch (error) {
    record('adopter: a token without message.read → 403 error="insufficient_scope" on the inbox', false, error instanceof Error ? error.message : String(error));
  }
  await check('auth server: the adopter client exchanging without a DPoP proof (requireDpop) → 400 invalid_dpop_proof', async () => {
    const response = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('adopter-service:adopter-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'message-service',
      }).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Shown as text in the failure.
    }
    return { status: response.status, headers: response.headers, body };
  }, ({ status, body }) => (status === 400 && field(body, 'error') === 'invalid_dpop_proof' ? undefined : 'expected 400 { error: "invalid_dpop_proof" }'));
  await check("message-service: alice's adopter token sent straight to it → 401", () => getJson(`${messageUrl}/api/messages`, token), ({ status, headers }) =>
    status === 401 && /^Bearer\b/.test(headers.get('www-authenticate') ?? '') ? undefined : 'expected 401 with a Bearer challenge (wrong audience)',
  );
}

async function pluginOverHttp(temp: string, plugin: string): Promise<void> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  let settings: { subject: { clientId: string; clientSecret: string; resource: string; scope: string }; exchange: { audience: string; expectedAud: string } };
  try {
    settings = JSON.parse(await readFile(join(plugin, 'adoption.json'), 'utf8')) as typeof settings;
    await startNode('oidc-provider-plugin', join(plugin, 'dist', 'main.js'), {
      cwd: plugin,
      env: { PORT: String(port), ISSUER: issuer },
      readyUrl: `${issuer}/.well-known/openid-configuration`,
      logFile: join(temp, 'logs', 'oidc-provider-plugin.log'),
    });
  } catch (error) {
    record('oidc-provider-plugin: the plain oidc-provider with the packed plugin starts', false, error instanceof Error ? error.message : String(error));
    return;
  }
  record('oidc-provider-plugin: the plain oidc-provider with the packed plugin starts', true);
  const discovery = (await getJson(`${issuer}/.well-known/openid-configuration`)).body;
  const tokenEndpoint = String(field(discovery, 'token_endpoint'));
  const basic = `Basic ${Buffer.from(`${settings.subject.clientId}:${settings.subject.clientSecret}`).toString('base64')}`;
  const post = async (form: Record<string, string>): Promise<{ status: number; headers: Headers; body: unknown }> => {
    const response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  const subject = await post({ grant_type: 'client_credentials', resource: settings.subject.resource, scope: settings.subject.scope });
  const subjectToken = field(subject.body, 'access_token');
  if (!record('oidc-provider-plugin: a subject token (client_credentials, a JWT for the client’s own resource)', subject.status === 200 && typeof subjectToken === 'string', JSON.stringify(subject.body))) return;
  const subjectJti = jwtClaims(subjectToken as string)['jti'];
  await check(
    'oidc-provider-plugin: the subject token exchanged (RFC 8693) → 200, new token with the target aud and act',
    () =>
      post({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: subjectToken as string,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: settings.exchange.audience,
      }),
    ({ status, body }) => {
      const issued = field(body, 'access_token');
      if (status !== 200 || typeof issued !== 'string') return 'expected 200 with an access_token';
      const claims = jwtClaims(issued);
      const aud = claims['aud'];
      const act = claims['act'];
      if (!(aud === settings.exchange.expectedAud || (Array.isArray(aud) && aud.includes(settings.exchange.expectedAud)))) return `aud ${JSON.stringify(aud)}, expected ${settings.exchange.expectedAud}`;
      if (field(act, 'sub') !== settings.subject.clientId) return `act ${JSON.stringify(act)}, expected { sub: "${settings.subject.clientId}" }`;
      if (claims['jti'] === subjectJti) return 'the issued token is the subject token';
      if (field(body, 'issued_token_type') !== 'urn:ietf:params:oauth:token-type:access_token') return `issued_token_type ${JSON.stringify(field(body, 'issued_token_type'))}`;
      return undefined;
    },
  );
  await check(
    'oidc-provider-plugin: an exchange for an unknown audience → 400 invalid_target',
    () =>
      post({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: subjectToken as string,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'no-such-service',
      }),
    ({ status, body }) => (status === 400 && field(body, 'error') === 'invalid_target' ? undefined : 'expected 400 invalid_target'),
  );
}

async function main(): Promise<number> {
  const started = performance.now();
  const temp = await mkdtemp(join(tmpdir(), 'baton-adoption-'));
  note(`temporary folder ${temp}`);
  try {
    const packed = await buildAndPack(temp);
    if (packed !== undefined) {
      note('install: the examples with the tarballs, peers from the registry');
      const [adopter, plugin] = await Promise.all([
        installExample('adopter', temp, packed, { ...SNIPPET_DEV_DEPENDENCIES, '@baton/oidc-provider-token-exchange': packed.get('@baton/oidc-provider-token-exchange') as string }),
        installExample('oidc-provider-plugin', temp, packed),
      ]);
      const adopterCompiled = adopter !== undefined && record('adopter: compiles with its own strict tsc, no skipLibCheck', ...compiledOrNot(await compile(adopter)));
      const pluginCompiled = plugin !== undefined && record('oidc-provider-plugin: compiles with its own strict tsc, no skipLibCheck', ...compiledOrNot(await compile(plugin)));
      if (adopter !== undefined) {
        note("snippets: the docs' ts blocks and the packages' entry points, compiled in the examples");
        await compileSnippets(adopter, plugin);
      }
      if (adopter !== undefined && adopterCompiled) {
        // The example's own node:test suite, on the resource server's testing entry (a local issuer, forged tokens).
        const tests = await run(process.execPath, ['--test', 'dist/**/*.test.js'], { cwd: adopter, timeoutMs: 120_000 });
        record("adopter: its own tests pass (node:test, @baton/resource-server/testing's local issuer)", tests.code === 0 && /(#|ℹ) pass [1-9]/.test(tests.output), tail(tests.output));
        await adopterOverHttp(temp, adopter);
      }
      if (plugin !== undefined && pluginCompiled) await pluginOverHttp(temp, plugin);
    }
  } catch (error) {
    record('the adoption test ran to its end', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    await stopAll();
    if (process.env['ADOPTION_KEEP'] === '1') note(`kept ${temp} (logs in ${relative(process.cwd(), join(temp, 'logs'))})`);
    else await rm(temp, { recursive: true, force: true });
  }
  const failed = results.filter((result) => !result.ok).length;
  note(`adoption test finished in ${Math.round((performance.now() - started) / 1000)} s`);
  process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

process.exitCode = await main();
