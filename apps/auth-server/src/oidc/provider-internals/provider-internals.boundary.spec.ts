import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const APP_ROOT = join(__dirname, '..', '..', '..');
const HERE = __dirname;
const CHECKED_MAJOR = 9;

/**
 * What only this folder may do with oidc-provider: import its internal modules, patch its
 * classes' prototypes (the OIDCContext patch Baton once had, Client's methods). Tests may spy on
 * a prototype (test/hardening holds secret checks that way): that changes no shipped behaviour.
 */
const INTERNAL_USES: readonly { readonly what: string; readonly pattern: RegExp; readonly testsToo: boolean }[] = [
  { what: 'imports an oidc-provider internal module', pattern: /['"`]oidc-provider\/lib\//, testsToo: true },
  { what: 'touches oidc-provider’s OIDCContext', pattern: /\bOIDCContext\b/, testsToo: false },
  { what: 'patches a prototype of the provider’s classes', pattern: /\b(Client|Grant|AccessToken|Session|Interaction)\.prototype\b/, testsToo: false },
];

const isTest = (file: string): boolean => file.endsWith('.spec.ts') || relative(APP_ROOT, file).startsWith(`test${sep}`);

function typeScriptFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `file: what` for each internal use found in `files`. */
function internalUses(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return INTERNAL_USES.filter(({ pattern, testsToo }) => (testsToo || !isTest(file)) && pattern.test(text)).map(({ what }) => `${relative(APP_ROOT, file)}: ${what}`);
  });
}

describe('oidc-provider internals stay in oidc/provider-internals/', () => {
  const appFiles = ['src', 'test'].flatMap((folder) => typeScriptFiles(join(APP_ROOT, folder)));
  const inside = (file: string): boolean => file.startsWith(HERE + sep);
  // This spec names what it looks for; it is not a use.
  const seamFiles = appFiles.filter((file) => inside(file) && file !== __filename);

  it('finds no internal use anywhere else in the auth server (src and test)', () => {
    expect(internalUses(appFiles.filter((file) => !inside(file)))).toEqual([]);
  });

  it('recognises the uses this folder makes (the check above can fail)', () => {
    expect(internalUses(seamFiles)).toEqual(
      expect.arrayContaining([
        'src/oidc/provider-internals/initialize-keystore.d.ts: imports an oidc-provider internal module',
        'src/oidc/provider-internals/replace-provider-keys.ts: imports an oidc-provider internal module',
        'src/oidc/provider-internals/grant-type-check.ts: patches a prototype of the provider’s classes',
        'src/oidc/provider-internals/weak-cache.d.ts: imports an oidc-provider internal module',
        'src/oidc/provider-internals/before-grant.ts: imports an oidc-provider internal module',
      ]),
    );
  });

  it('lists every seam in README.md with a spec that guards it', () => {
    const readme = readFileSync(join(HERE, 'README.md'), 'utf8');
    const seams = readdirSync(HERE).filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts') && name !== 'index.ts');
    expect(seams.length).toBeGreaterThanOrEqual(5);
    for (const seam of seams) {
      const spec = seam.replace(/\.ts$/, '.spec.ts');
      expect({ seam, listed: readme.includes(`\`${seam}\``), guarded: readme.includes(`\`${spec}\``) && existsSync(join(HERE, spec)) }).toEqual({
        seam,
        listed: true,
        guarded: true,
      });
    }
  });

  it('was checked against the installed oidc-provider major version', () => {
    // The seams are checked against 9.13.3 (README.md); a new major needs each of them re-read.
    const { version } = JSON.parse(readFileSync(require.resolve('oidc-provider/package.json'), 'utf8')) as { version: string };
    expect(Number(version.split('.')[0])).toBe(CHECKED_MAJOR);
  });
});
