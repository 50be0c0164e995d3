import { SetMetadata } from '@nestjs/common';

export const SCOPES_KEY = 'baton:scopes';

// RFC 6749 §3.3 scope-token; also safe inside the quoted `scope` of a WWW-Authenticate header.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Scopes the access token must carry, all of them, for the route (or every route of the
 * controller; a method's own `@Scopes` replaces the controller's).
 */
export const Scopes = (...scopes: string[]): MethodDecorator & ClassDecorator => {
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new Error(`@Scopes: ${JSON.stringify(scope)} is not a valid scope name`);
  }
  return SetMetadata(SCOPES_KEY, scopes);
};
