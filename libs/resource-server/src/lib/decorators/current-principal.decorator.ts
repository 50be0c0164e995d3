import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Principal } from '../principal';

/**
 * The verified caller of the current request (`Principal`). Undefined on `@Public()` routes,
 * which are not authenticated.
 */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined =>
    context.switchToHttp().getRequest<{ user?: Principal }>().user,
);
