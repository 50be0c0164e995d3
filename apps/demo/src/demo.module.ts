import { appConfigModule } from '@baton/config';
import { TokenExchangeModule } from '@baton/token-exchange';
import { Module } from '@nestjs/common';
import { DemoConfig, demoConfig } from './config/demo.config';
import { DemoRunner } from './demo-runner';
import { ServiceSupervisor } from './services/service-supervisor';
import { demoDpopKeyProvider, generateDemoDpopKey } from './tokens/demo-dpop-key';
import { Trace } from './trace/trace';
import { Walkthrough } from './walkthrough/walkthrough';

/** One DPoP key for the run: the exchange binds the token to it, step 3 proves it to message-service. */
const dpopPrivateKey = generateDemoDpopKey();

/**
 * Composition of the demo: its configuration, the token-exchange client configured as
 * user-service configures it (step 3 exchanges exactly as user-service does), and the trace on
 * stdout.
 */
@Module({
  imports: [
    appConfigModule(demoConfig),
    TokenExchangeModule.forRootAsync({
      inject: [demoConfig.KEY],
      useFactory: (config: DemoConfig) => ({
        issuer: config.authServerUrl,
        tokenEndpoint: config.authTokenEndpoint || undefined,
        clientId: config.exchangeClientId,
        clientSecret: config.exchangeClientSecret,
        timeoutMs: config.requestTimeoutMs,
        // Every run shows a fresh exchange, never one remembered from an earlier step.
        cacheEnabled: false,
        // As user-service: the demo's client must prove a DPoP key (requireDpop) and gets a bound token.
        dpop: { key: dpopPrivateKey },
      }),
    }),
  ],
  providers: [
    { provide: Trace, useFactory: () => new Trace(process.stdout, process.stdout.hasColors?.() ?? false) },
    demoDpopKeyProvider(dpopPrivateKey),
    ServiceSupervisor,
    Walkthrough,
    DemoRunner,
  ],
})
export class DemoModule {}
