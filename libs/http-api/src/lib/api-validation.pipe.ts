import { BadRequestException, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';

/** One entry of a `validation_failed` answer: the field (dotted path) and what is wrong with it. */
export interface FieldProblems {
  field: string;
  problems: string[];
}

/**
 * Validation with class-validator for every request DTO: unknown fields are refused
 * (whitelist + forbidNonWhitelisted), values are converted to the DTO types, and failures answer
 * 400 `{ error: "validation_failed", message, fields: [{ field, problems }] }`.
 *
 * Register it with `{ provide: APP_PIPE, useClass: ApiValidationPipe }`.
 */
@Injectable()
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors: ValidationError[]) =>
        new BadRequestException({
          error: 'validation_failed',
          message: 'The request is invalid',
          fields: flatten(errors, ''),
        }),
    });
  }
}

function flatten(errors: ValidationError[], parent: string): FieldProblems[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
