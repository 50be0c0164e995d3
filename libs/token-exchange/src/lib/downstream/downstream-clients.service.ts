import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ResolvedTokenExchangeOptions } from '../resolve-token-exchange-options';
import { RESOLVED_TOKEN_EXCHANGE_OPTIONS } from '../token-exchange.module-definition';
import { TokenExchangeService } from '../token-exchange.service';
import { DownstreamClient } from './downstream.client';

/** The configured downstream services, each with its client: `clients.get('messageService')`. */
@Injectable()
export class DownstreamClients implements OnModuleDestroy {
  private readonly clients = new Map<string, DownstreamClient>();

  constructor(
    @Inject(RESOLVED_TOKEN_EXCHANGE_OPTIONS) options: ResolvedTokenExchangeOptions,
    tokens: TokenExchangeService,
  ) {
    for (const [name, downstream] of Object.entries(options.downstreams)) {
      const client = new DownstreamClient(name, downstream, tokens, undefined, options.retryAfterSeconds, options.requestHeaders, options.dpop);
      this.clients.set(name, client);
    }
  }

  /** The client of a configured downstream; throws for a name that is not configured. */
  get(name: string): DownstreamClient {
    const client = this.clients.get(name);
    if (client === undefined) {
      const known = [...this.clients.keys()].join(', ') || 'none';
      throw new Error(`No downstream "${name}" is configured (configured: ${known})`);
    }
    return client;
  }

  /** The kept-alive connections to the downstreams close with the app. */
  onModuleDestroy(): void {
    for (const client of this.clients.values()) client.close();
  }
}
