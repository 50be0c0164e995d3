import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiExceptionFilter } from '@baton/http-api';
import { AccessTokenGuard, ScopesGuard } from '@baton/resource-server';
import { AppModule } from './app.module';

type ModuleEntry = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

/** Every provider of `entry` and of everything it imports, static and dynamic (forRoot/forRootAsync). */
async function providersOf(entry: ModuleEntry, seen = new Set<unknown>()): Promise<Provider[]> {
  const resolved = await entry;
  const module: DynamicModule | Type =
    typeof resolved === 'object' && 'forwardRef' in resolved ? (resolved.forwardRef() as Type) : (resolved as DynamicModule | Type);
  if (seen.has(module)) return [];
  seen.add(module);
  const type = typeof module === 'function' ? module : module.module;
  const dynamic: Partial<DynamicModule> = typeof module === 'function' ? {} : module;
  const imports = [...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleEntry[] | undefined) ?? []), ...(dynamic.imports ?? [])];
  const own = [...((Reflect.getMetadata(MODULE_METADATA.PROVIDERS, type) as Provider[] | undefined) ?? []), ...(dynamic.providers ?? [])];
  const imported = await Promise.all(imports.filter((item) => item !== undefined).map((item) => providersOf(item, seen)));
  return [...own, ...imported.flat()];
}

const registering = (token: unknown) => (provider: Provider) =>
  typeof provider === 'object' && provider !== null && 'provide' in provider && provider.provide === token;

describe('user-service composition', () => {
  it('has one global exception filter, its own ApiExceptionFilter, in its whole module graph', async () => {
    const filters = (await providersOf(AppModule)).filter(registering(APP_FILTER));
    expect(filters).toEqual([{ provide: APP_FILTER, useClass: ApiExceptionFilter }]);
  });

  it('registers the resource-server guards itself (the package installs none), token before scopes', async () => {
    const own = ((Reflect.getMetadata(MODULE_METADATA.PROVIDERS, AppModule) as Provider[] | undefined) ?? []).filter(registering(APP_GUARD));
    const everywhere = (await providersOf(AppModule)).filter(registering(APP_GUARD));
    expect(own).toEqual([
      { provide: APP_GUARD, useClass: AccessTokenGuard },
      { provide: APP_GUARD, useClass: ScopesGuard },
    ]);
    expect(everywhere).toEqual(own);
  });
});
