#!/usr/bin/env node
// Validates compose files against the Compose Specification's JSON schema, offline.
//
//   node tools/compose/validate-compose-schema.mjs docker/docker-compose.yml [more files...]
//
// Schema, first found wins (nothing is downloaded):
//   1. COMPOSE_SCHEMA_FILE, when set;
//   2. the schema that the npm package `dclint` ships (the current specification), when installed;
//   3. the schema that Debian's docker-compose package ships (compose_spec.json of compose 1.29).
// Exits 1 and names every violation (path in the file + message) when a file does not conform.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(workspaceRoot, 'package.json'));
const { parse } = require('yaml');

const DEBIAN_SCHEMA = '/usr/lib/python3/dist-packages/compose/config/compose_spec.json';

function findFile(folder, name, depth = 4) {
  if (depth < 0 || !existsSync(folder)) return null;
  for (const entry of readdirSync(folder)) {
    if (entry === 'node_modules') continue;
    const path = join(folder, entry);
    if (entry === name) return path;
    if (statSync(path).isDirectory()) {
      const found = findFile(path, name, depth - 1);
      if (found) return found;
    }
  }
  return null;
}

function locateSchema() {
  const fromEnvironment = process.env.COMPOSE_SCHEMA_FILE;
  if (fromEnvironment) return { path: fromEnvironment, source: 'COMPOSE_SCHEMA_FILE' };
  const dclint = findFile(join(workspaceRoot, 'node_modules', 'dclint'), 'compose.schema.json');
  if (dclint) return { path: dclint, source: 'dclint (current Compose Specification)' };
  if (existsSync(DEBIAN_SCHEMA)) {
    return { path: DEBIAN_SCHEMA, source: "Debian's docker-compose 1.29 (Compose Specification of 2021)" };
  }
  return null;
}

function createValidator(schema) {
  const dialect = String(schema.$schema ?? '');
  const options = { allErrors: true, strict: false, logger: false };
  const Ajv = dialect.includes('2020-12')
    ? require('ajv/dist/2020').default
    : dialect.includes('2019-09')
      ? require('ajv/dist/2019').default
      : require('ajv').default;
  const ajv = new Ajv(options);
  require('ajv-formats').default(ajv);
  const { $schema: _dialect, ...body } = schema;
  return ajv.compile(withoutLegacyIds(body));
}

/** Older schemas label their parts with draft-04 `id` strings, which ajv 8 refuses; they are only labels. */
function withoutLegacyIds(node) {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

function describe(error) {
  const where = error.instancePath || '(top level)';
  const extra =
    error.keyword === 'additionalProperties'
      ? `: "${error.params.additionalProperty}"`
      : error.keyword === 'enum'
        ? `: ${error.params.allowedValues.join(', ')}`
        : '';
  return `${where} ${error.message}${extra}`;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: validate-compose-schema.mjs <compose file>...\n');
  process.exit(2);
}
const located = locateSchema();
if (!located) {
  process.stderr.write(
    `No Compose Specification schema found: install Debian's docker-compose (apt-get install docker-compose) or set COMPOSE_SCHEMA_FILE.\n`,
  );
  process.exit(1);
}
const validate = createValidator(JSON.parse(readFileSync(located.path, 'utf8')));
process.stdout.write(`schema: ${located.source} (${located.path})\n`);

let failed = false;
for (const file of files) {
  // `merge: true` resolves `<<:` merge keys as Compose does before validating.
  const document = parse(readFileSync(file, 'utf8'), { merge: true });
  const name = relative(process.cwd(), resolve(file));
  if (validate(document)) {
    process.stdout.write(`valid: ${name}\n`);
    continue;
  }
  failed = true;
  const messages = [...new Set(validate.errors.map(describe))];
  process.stderr.write(`invalid: ${name}\n${messages.map((line) => `  ${line}`).join('\n')}\n`);
}
process.exit(failed ? 1 : 0);
