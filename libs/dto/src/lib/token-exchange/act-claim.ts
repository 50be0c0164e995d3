import { ApiProperty } from '@nestjs/swagger';

/**
 * The `act` (actor) claim of RFC 8693 §4.1: who acts for the subject. A nested `act` records the
 * earlier actors, the outermost being the current one.
 */
export class ActClaim {
  @ApiProperty({ description: 'The acting party, e.g. user-service', example: 'user-service' })
  sub!: string;

  @ApiProperty({ type: () => ActClaim, required: false, description: 'The earlier actor, if any' })
  act?: ActClaim;
}
