import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Principal, Public, Scopes } from '@baton/resource-server';

export interface Identity {
  sub: string;
  clientId: string;
  scopes: readonly string[];
  name: string | null;
}

@Controller()
export class ProfileController {
  /** Anyone may ask whether the service is up. */
  @Public()
  @Get('api/hello')
  hello(): { service: string } {
    return { service: 'adopter-service' };
  }

  /** Who is calling, from the verified token. */
  @Scopes('adopter.read')
  @Get('api/me')
  me(@CurrentPrincipal() principal: Principal): Identity {
    const name = principal.claims['name'];
    return { sub: principal.sub, clientId: principal.clientId, scopes: principal.scopes, name: typeof name === 'string' ? name : null };
  }
}
