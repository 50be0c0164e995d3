import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { SCOPES_KEY } from '../decorators/scopes.decorator';

/** What a route asks of its callers, as its `@Public()` and `@Scopes(...)` say. */
export interface RouteAccess {
  readonly isPublic: boolean;
  /** The method's `@Scopes`, else the controller's; undefined when neither has one. */
  readonly scopes: readonly string[] | undefined;
}

/**
 * The `@Public()` and `@Scopes(...)` of each route, read through the Reflector once per controller
 * class and handler, as Nest's `getAllAndOverride` reads them. Decorators are applied when a class
 * is defined; reading them again on every request (three lookups through reflect-metadata's maps
 * and prototype chains, in the two guards) cost ~3 µs of CPU per call (profile of issue 15).
 * Keyed by class, then handler: a handler inherited by two controllers is looked up for each.
 */
export class RouteAccessCache {
  private readonly byClass = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.byClass.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.byClass.set(controller, byHandler);
    }
    let access = byHandler.get(handler);
    if (access === undefined) {
      const targets = [handler, controller];
      access = {
        isPublic: Boolean(this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)),
        scopes: this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets),
      };
      byHandler.set(handler, access);
    }
    return access;
  }
}
