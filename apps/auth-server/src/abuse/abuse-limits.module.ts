import { Module } from '@nestjs/common';
import { OidcModule } from '../oidc/oidc.module';
import { LoginThrottle } from './login-throttle.service';
import { RateLimiterFactory } from './rate-limiter.factory';
import { TokenEndpointLimits } from './token-endpoint-limits.service';

/**
 * Rate limits of the auth server: failed sign-ins per user and address, failed client
 * authentications per address, token requests per authenticated client.
 */
@Module({
  imports: [OidcModule],
  providers: [RateLimiterFactory, LoginThrottle, TokenEndpointLimits],
  exports: [LoginThrottle],
})
export class AbuseLimitsModule {}
