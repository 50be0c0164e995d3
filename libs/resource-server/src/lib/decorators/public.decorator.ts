import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'baton:isPublic';

/** Opts a route (or a whole controller) out of the global access-token check, e.g. health. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
