import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../compose.ts';

/** MON-2: liveness, readiness and the OpenAPI document (public, and free of any data). */
export function registerSystemRoutes(app: FastifyInstance, services: Services): void {
  app.get('/health', { config: { access: { public: true } }, schema: { tags: ['system'] } }, async () => ({ status: 'ok' }));

  app.get('/ready', { config: { access: { public: true } }, schema: { tags: ['system'] } }, async (_request, reply) => {
    const checks = await services.readiness();
    const ready = checks.database && checks.auditDatabase;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });

  app.get('/api/openapi.json', { config: { access: { public: true } }, schema: { hide: true } }, async () => app.swagger());
}
