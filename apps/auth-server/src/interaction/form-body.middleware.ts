import { Injectable, NestMiddleware, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Form fields; a field sent several times (checkboxes) is a list. */
export type FormFields = Record<string, string | string[]>;
type FormRequest = IncomingMessage & { body?: FormFields };

const LIMIT_BYTES = 16 * 1024;

/**
 * Parses `application/x-www-form-urlencoded` bodies of the login and consent forms. The app has
 * no global body parser: oidc-provider must read its own requests' bodies.
 */
@Injectable()
export class FormBodyMiddleware implements NestMiddleware {
  async use(request: FormRequest, _response: ServerResponse, next: (error?: unknown) => void): Promise<void> {
    if (request.method !== 'POST') {
      next();
      return;
    }
    try {
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') {
        throw new UnsupportedMediaTypeException('forms are sent as application/x-www-form-urlencoded');
      }
      request.body = parseForm(await readBody(request));
      next();
    } catch (error) {
      next(error);
    }
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > LIMIT_BYTES) throw new PayloadTooLargeException('form too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseForm(text: string): FormFields {
  const fields: FormFields = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const previous = fields[name];
    fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return fields;
}
