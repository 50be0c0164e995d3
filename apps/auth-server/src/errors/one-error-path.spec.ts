import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { forwardRef, Module } from '@nestjs/common';
import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { APP_FILTER } from '@nestjs/core';
import { InProcessAuthServer, startInProcess } from '../../test/support/in-process-auth-server';
import { AppModule } from '../app.module';
import { AppExceptionFilter } from './app-exception.filter';

type ModuleEntry = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

/**
 * Every provider of `entry` and of everything it imports, however deep (Baton's libs included):
 * static metadata and dynamic modules (`forRoot`, `forRootAsync`) alike.
 */
async function providersOf(entry: ModuleEntry, seen = new Set<unknown>()): Promise<Provider[]> {
  const resolved = await entry;
  const module: DynamicModule | Type =
    typeof resolved === 'object' && 'forwardRef' in resolved ? (resolved.forwardRef() as Type) : (resolved as DynamicModule | Type);
  if (seen.has(module)) return [];
  seen.add(module);
  const type = typeof module === 'function' ? module : module.module;
  const dynamic: Partial<DynamicModule> = typeof module === 'function' ? {} : module;
  const imports: ModuleEntry[] = [...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleEntry[] | undefined) ?? []), ...(dynamic.imports ?? [])];
  const own: Provider[] = [...((Reflect.getMetadata(MODULE_METADATA.PROVIDERS, type) as Provider[] | undefined) ?? []), ...(dynamic.providers ?? [])];
  const imported = await Promise.all(imports.filter((entry) => entry !== undefined).map((entry) => providersOf(entry, seen)));
  return [...own, ...imported.flat()];
}

const registers = (token: unknown) => (provider: Provider) => typeof provider === 'object' && provider !== null && 'provide' in provider && provider.provide === token;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('one error path: the auth server has exactly one global exception filter', () => {
  it('registers AppExceptionFilter as its only APP_FILTER, in its whole module graph', async () => {
    const filters = (await providersOf(AppModule)).filter(registers(APP_FILTER));
    expect(filters).toEqual([{ provide: APP_FILTER, useClass: AppExceptionFilter }]);
  });

  it('finds a filter a library module would slip in through a dynamic import (the check above can fail)', async () => {
    class SneakyFilter {}
    @Module({})
    class SneakyLibraryModule {}
    @Module({ imports: [forwardRef(() => ({ module: SneakyLibraryModule, providers: [{ provide: APP_FILTER, useClass: SneakyFilter }] }))] })
    class HostModule {}
    const filters = (await providersOf(HostModule)).filter(registers(APP_FILTER));
    expect(filters).toEqual([{ provide: APP_FILTER, useClass: SneakyFilter }]);
  });

  it('adds no filter outside the module graph (no useGlobalFilters, no other APP_FILTER)', () => {
    const root = join(__dirname, '..');
    const offenders = sourceFiles(root)
      .filter((file) => /\buseGlobalFilters\b|\bAPP_FILTER\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(offenders).toEqual(['app.module.ts']);
  });

  describe('over HTTP', () => {
    let server: InProcessAuthServer;

    beforeAll(async () => {
      server = await startInProcess();
    });
    afterAll(() => server.close());

    it('answers a Nest route’s error as the filter does: JSON { error, message }, never cached', async () => {
      const response = await fetch(`${server.baseUrl}/no-such-page`);
      expect(response.status).toBe(404);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ error: 'not_found', message: expect.any(String) });
    });
  });
});
