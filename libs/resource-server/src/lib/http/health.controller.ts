import { Controller, Get } from '@nestjs/common';
import { Public } from '../decorators/public.decorator';

/** `GET /health`: public liveness answer of a resource server. */
@Controller('health')
export class HealthController {
  @Public()
  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
