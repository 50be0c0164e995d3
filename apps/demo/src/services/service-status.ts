import type { ServiceName } from './service-url';

/** A service the walkthrough uses: where it is and whether the demo started it. */
export interface ServiceStatus {
  readonly name: ServiceName;
  readonly url: string;
  readonly startedByDemo: boolean;
}

/** What the auth server's discovery document says about itself (the parts the demo uses). */
export interface AuthServerEndpoints {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
}
