import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { SigningKeysService } from '../keys/signing-keys.service';
import { OidcStore } from '../persistence/oidc-store';

export interface HealthReport {
  status: 'ok' | 'error';
  checks: { database: 'up' | 'down'; signingKeys: 'up' | 'down' };
}

/** Liveness and readiness in one: the process answers, its database answers, it has a signing key. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly store: OidcStore,
    private readonly signingKeys: SigningKeysService,
  ) {}

  @Get()
  check(@Res() response: ServerResponse): void {
    const report: HealthReport = {
      status: 'ok',
      checks: { database: this.databaseUp() ? 'up' : 'down', signingKeys: this.signingKeys.keys.length > 0 ? 'up' : 'down' },
    };
    if (Object.values(report.checks).includes('down')) report.status = 'error';
    response.writeHead(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    response.end(JSON.stringify(report));
  }

  private databaseUp(): boolean {
    try {
      this.store.ping();
      return true;
    } catch {
      return false;
    }
  }
}
