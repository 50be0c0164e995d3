import { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { IS_PUBLIC_KEY, SCOPES_KEY } from '@baton/resource-server';

/** Where the documentation is served: Swagger UI and the OpenAPI 3 JSON. */
export const API_DOCS_PATH = '/api/docs';
export const API_DOCS_JSON_PATH = '/api/docs.json';
/** Name of the bearer security scheme in the document. */
export const BEARER_SCHEME = 'bearer';
/** Operation extension listing the scopes a route's token must carry. */
export const REQUIRED_SCOPES_EXTENSION = 'x-required-scopes';

export interface ApiDocsOptions {
  title: string;
  description: string;
  version: string;
}

type Operation = {
  operationId?: string;
  description?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
};

interface AccessRequirement {
  isPublic: boolean;
  scopes: string[];
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Stable error code, e.g. invalid_token, insufficient_scope, validation_failed' },
    message: { type: 'string', description: 'What went wrong, for people' },
  },
};

/**
 * Serves the OpenAPI 3 document of a resource server's API at `/api/docs` (Swagger UI) and
 * `/api/docs.json`, generated from its controllers and DTOs. Both are public (mounted outside the
 * guarded routes). What the guards enforce is written into each operation: the `bearer`
 * security scheme unless `@Public()`, the `@Scopes()` a token must carry (`x-required-scopes` and
 * the description), and the RFC 6750 answers (401, 403 insufficient_scope, 503 when the issuer's
 * keys cannot be fetched). Call in main.ts before `listen()`.
 */
export function setUpApiDocs(app: INestApplication, options: ApiDocsOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion(options.version)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: "An access token from the auth server (RFC 9068 JWT) whose audience is this service",
      },
      BEARER_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  applyAccessRequirements(document, accessRequirements(app));
  SwaggerModule.setup(API_DOCS_PATH.slice(1), app, document, { jsonDocumentUrl: API_DOCS_JSON_PATH.slice(1) });
  return document;
}

/** `Controller_method` (Swagger's operation ids) → what the guards require of that route. */
function accessRequirements(app: INestApplication): Map<string, AccessRequirement> {
  const requirements = new Map<string, AccessRequirement>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[method];
        if (method === 'constructor' || typeof handler !== 'function') continue;
        const read = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler) as T | undefined) ?? (Reflect.getMetadata(key, controller) as T | undefined);
        requirements.set(`${controller.name}_${method}`, {
          isPublic: read<boolean>(IS_PUBLIC_KEY) === true,
          scopes: read<string[]>(SCOPES_KEY) ?? [],
        });
      }
    }
  }
  return requirements;
}

function applyAccessRequirements(document: OpenAPIObject, requirements: Map<string, AccessRequirement>): void {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ApiError: ERROR_SCHEMA } };
  const errorBody = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
  });
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem) as Operation[]) {
      if (typeof operation !== 'object' || operation === null || operation.operationId === undefined) continue;
      const requirement = requirements.get(operation.operationId);
      if (requirement === undefined || requirement.isPublic) {
        operation.security = [];
        continue;
      }
      const { scopes } = requirement;
      operation.security = [{ [BEARER_SCHEME]: [] }];
      operation[REQUIRED_SCOPES_EXTENSION] = scopes;
      const needs = scopes.length === 0 ? 'a bearer access token' : `a bearer access token with scope ${scopes.join(' and ')}`;
      operation.description = [operation.description, `Requires ${needs}.`].filter(Boolean).join('\n\n');
      operation.responses = {
        ...operation.responses,
        401: errorBody('No valid access token for this service (WWW-Authenticate: Bearer error="invalid_token")'),
        ...(scopes.length === 0
          ? {}
          : { 403: errorBody(`The token lacks ${scopes.join(' or ')} (WWW-Authenticate: Bearer error="insufficient_scope")`) }),
        503: errorBody("The issuer's signing keys cannot be fetched right now (Retry-After)"),
      };
    }
  }
}
