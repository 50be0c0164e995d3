import { ArgumentMetadata, Injectable } from '@nestjs/common';
import { ApiValidationPipe } from '@baton/http-api';
import { plainToInstance } from 'class-transformer';

type Class = new (...args: never[]) => unknown;

/**
 * Baton's `ApiValidationPipe`, minus class-validator on the query of a request that has none.
 * Nearly every `GET /api/messages` is sent without a query, and validating `{}` against
 * `ListMessagesQuery` was ~6–9 % of the service's CPU per request (profile of issue 15). An empty
 * query always validates the same way for a given class, so once `{}` has passed for a class it
 * is taken as valid without running class-validator again; the value handed on is built by the
 * same class-transformer call the pipe makes. A class whose `{}` fails is never remembered: every
 * such request is refused by the full pipe, as before.
 */
@Injectable()
export class MessageServiceValidationPipe extends ApiValidationPipe {
  private readonly emptyQueryValid = new WeakSet<Class>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype as Class | undefined;
    if (metadata.type !== 'query' || metatype === undefined || !isEmptyObject(value)) return super.transform(value, metadata);
    if (!this.isTransformEnabled || !this.toValidate(metadata)) return super.transform(value, metadata);
    if (this.emptyQueryValid.has(metatype)) return plainToInstance(metatype, value, this.transformOptions);
    const result = await super.transform(value, metadata);
    this.emptyQueryValid.add(metatype);
    return result;
  }
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}
