import { Module } from '@nestjs/common';
import { LoginThrottle } from './login-throttle.service';
import { TokenRateLimitExtension } from './token-rate-limit.extension';

/** Rate limits of the auth server: failed sign-ins per user and address, token requests per client. */
@Module({
  providers: [LoginThrottle, TokenRateLimitExtension],
  exports: [LoginThrottle],
})
export class AbuseLimitsModule {}
