import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public } from '../decorators/public.decorator';
import { Scopes } from '../decorators/scopes.decorator';
import { RouteAccessCache } from './route-access';

@Scopes('items.read')
@Controller('items')
class ItemsController {
  @Get()
  list(): string[] {
    return [];
  }

  @Scopes('items.write')
  @Get('mine')
  mine(): string[] {
    return [];
  }

  @Public()
  @Get('catalogue')
  catalogue(): string[] {
    return [];
  }
}

@Public()
@Controller('open')
class OpenItemsController extends ItemsController {}

@Controller('plain')
class PlainController {
  @Get()
  plain(): string {
    return '';
  }
}

function contextOf(controller: object, handler: () => unknown): ExecutionContext {
  return { getClass: () => controller, getHandler: () => handler } as unknown as ExecutionContext;
}

describe('RouteAccessCache', () => {
  const cache = new RouteAccessCache(new Reflector());
  const items = ItemsController.prototype;

  it("reads a method's @Scopes over its controller's, and @Public on either", () => {
    expect(cache.of(contextOf(ItemsController, items.list))).toEqual({ isPublic: false, scopes: ['items.read'] });
    expect(cache.of(contextOf(ItemsController, items.mine))).toEqual({ isPublic: false, scopes: ['items.write'] });
    expect(cache.of(contextOf(ItemsController, items.catalogue))).toEqual({ isPublic: true, scopes: ['items.read'] });
    expect(cache.of(contextOf(PlainController, PlainController.prototype.plain))).toEqual({ isPublic: false, scopes: undefined });
  });

  it('answers the same the second time (from the cache)', () => {
    const first = cache.of(contextOf(ItemsController, items.mine));
    expect(cache.of(contextOf(ItemsController, items.mine))).toBe(first);
  });

  it('keeps a handler inherited by another controller apart: the class it is served by decides', () => {
    expect(cache.of(contextOf(ItemsController, items.list)).isPublic).toBe(false);
    expect(cache.of(contextOf(OpenItemsController, items.list)).isPublic).toBe(true);
    expect(cache.of(contextOf(ItemsController, items.list)).isPublic).toBe(false);
  });
});
