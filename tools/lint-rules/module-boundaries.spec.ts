import { ESLint } from 'eslint';
import { join } from 'node:path';

/**
 * The module boundaries of eslint.config.mjs bite: each forbidden import below, linted as a file
 * of the project it would live in (with that project's ESLint configuration, as `nx lint` runs
 * it), is an `@nx/enforce-module-boundaries` error; the allowed imports next to them are not.
 * Nothing is written to the tree: ESLint lints the text under the file's path.
 */
const workspaceRoot = join(__dirname, '..', '..');

async function boundaryErrors(project: string, file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: join(workspaceRoot, project) });
  const [result] = await eslint.lintText(code, { filePath: join(workspaceRoot, project, file) });
  if (result === undefined) throw new Error(`ESLint linted nothing for ${project}/${file}`);
  const fatal = result.messages.find((message) => message.fatal === true);
  if (fatal !== undefined) throw new Error(`ESLint could not parse ${project}/${file}: ${fatal.message}`);
  return result.messages.filter((message) => message.ruleId === '@nx/enforce-module-boundaries').map((message) => message.message);
}

function importing(specifier: string): string {
  return `import * as imported from '${specifier}';\n\nexport const used = imported;\n`;
}

// Loading the project graph and the TypeScript parser takes a few seconds on a slow machine.
jest.setTimeout(60_000);

describe('module boundaries (eslint.config.mjs)', () => {
  describe('a package imports no internal lib', () => {
    it.each([
      ['libs/token-exchange', '@baton/config'],
      ['libs/token-exchange', '@baton/dto'],
      ['libs/resource-server', '@baton/observability'],
      ['libs/resource-server', '@baton/http-api'],
      ['libs/oidc-provider-token-exchange', '@baton/dto'],
      ['libs/oidc-provider-token-exchange', '@baton/testing'],
    ])('%s importing %s fails lint', async (project, specifier) => {
      expect(await boundaryErrors(project, 'src/lib/forbidden-import.ts', importing(specifier))).not.toEqual([]);
    });

    it('token-exchange never imports resource-server, and resource-server never imports token-exchange', async () => {
      const tagRule = 'A project tagged with "type:package" cannot depend on any libs with tags';
      expect(await boundaryErrors('libs/token-exchange', 'src/lib/forbidden-import.ts', importing('@baton/resource-server'))).toEqual([
        expect.stringContaining(tagRule),
      ]);
      expect(await boundaryErrors('libs/resource-server', 'src/lib/forbidden-import.ts', importing('@baton/token-exchange'))).toEqual([
        expect.stringContaining(tagRule),
      ]);
    });

    it('a package pulls in none of the apps’ frameworks (Swagger, Terminus, class-validator)', async () => {
      for (const specifier of ['@nestjs/swagger', '@nestjs/terminus', 'class-validator']) {
        expect(await boundaryErrors('libs/token-exchange', 'src/lib/forbidden-import.ts', importing(specifier))).toEqual([
          `A project tagged with "type:package" is not allowed to import "${specifier}"`,
        ]);
      }
    });

    it('the oidc-provider plugin imports no NestJS; the Nest packages may', async () => {
      expect(await boundaryErrors('libs/oidc-provider-token-exchange', 'src/lib/forbidden-import.ts', importing('@nestjs/common'))).toEqual([
        expect.stringContaining('is not allowed to import "@nestjs/common"'),
      ]);
      expect(await boundaryErrors('libs/token-exchange', 'src/lib/allowed-import.ts', importing('@nestjs/common'))).toEqual([]);
      expect(await boundaryErrors('libs/oidc-provider-token-exchange', 'src/lib/allowed-import.ts', importing('jose'))).toEqual([]);
    });
  });

  it('dto never imports config', async () => {
    expect(await boundaryErrors('libs/dto', 'src/lib/forbidden-import.ts', importing('@baton/config'))).toEqual([
      expect.stringContaining('A project tagged with "layer:contracts" can only depend on libs tagged with "layer:contracts"'),
    ]);
  });

  it('a util may import another util and a package', async () => {
    expect(await boundaryErrors('libs/observability', 'src/lib/allowed-import.ts', importing('@baton/config'))).toEqual([]);
    expect(await boundaryErrors('libs/http-api', 'src/lib/allowed-import.ts', importing('@baton/resource-server'))).toEqual([]);
  });

  it('a util never imports the testing lib', async () => {
    expect(await boundaryErrors('libs/config', 'src/lib/forbidden-import.ts', importing('@baton/testing'))).toEqual([
      expect.stringContaining('A project tagged with "type:util" can only depend on libs tagged with "type:util", "type:package"'),
    ]);
  });

  it('a service reaches the testing lib from its tests only', async () => {
    expect(await boundaryErrors('apps/user-service', 'src/forbidden-import.ts', importing('@baton/testing'))).toEqual([
      expect.stringContaining('A project tagged with "scope:user" can only depend on libs tagged with "scope:shared"'),
    ]);
    expect(await boundaryErrors('apps/user-service', 'src/allowed-import.spec.ts', importing('@baton/testing'))).toEqual([]);
    expect(await boundaryErrors('apps/message-service', 'test/allowed-import.ts', importing('@baton/testing'))).toEqual([]);
  });

  it('one service never imports another service’s scope', async () => {
    expect(await boundaryErrors('apps/user-service', 'src/forbidden-import.ts', importing('@baton/oidc-provider-token-exchange'))).toEqual([
      expect.stringContaining('A project tagged with "scope:user" can only depend on libs tagged with "scope:shared"'),
    ]);
    expect(await boundaryErrors('apps/auth-server', 'src/allowed-import.ts', importing('@baton/oidc-provider-token-exchange'))).toEqual([]);
  });
});
