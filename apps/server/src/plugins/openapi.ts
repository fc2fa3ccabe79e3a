import type { FastifyPluginAsync } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { globalPlugin } from './global-plugin.js';

/** jsonSchemaTransform, plus routes that document a multipart body (`schema.multipartBody`). */
const openApiTransform: typeof jsonSchemaTransform = (document) => {
  const out = jsonSchemaTransform(document);
  const schema = out.schema as Record<string, unknown> | undefined;
  if (schema && 'multipartBody' in schema) {
    schema['body'] = schema['multipartBody'];
    delete schema['multipartBody'];
  }
  return out;
};

/** The OpenAPI 3 document of every route registered after it, and the Swagger UI at /docs. */
export const openApiPlugin: FastifyPluginAsync<{ version: string }> = globalPlugin(async (app, { version }) => {
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'autod',
        description: 'Paper autopilot: file, extract and search scanned documents.',
        version,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: openApiTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
});
