import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './reconciliation.schema.ts';

/**
 * The reconciliation list (issue 6 item 1, docs/api-images.md): DICOM that arrived without a chosen
 * patient and whose Patient ID matches no MRN waits here to be filed to a patient or discarded.
 * Technicians see only what they sent (src/domain/image-access.ts); the service decides.
 */
export function registerReconciliationRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['images'];
  const config = { access: { permission: 'reconciliation.manage' } } as const;

  app.get('/api/reconciliation', { config, schema: { tags, querystring: s.listQuery, response: { 200: s.listReply } } },
    async (request, reply) => {
      const items = await services.reconciliation.list(principalOf(request), request.query, originOf(request));
      return reply.header('cache-control', 'no-store').send({ items });
    });

  app.post('/api/reconciliation/:itemId/assign', { config, schema: { tags, params: s.itemParams, body: s.assignBody, response: { 200: s.assignReply, 201: s.assignReply } } },
    async (request, reply) => {
      const outcome = await services.reconciliation.assign(principalOf(request), request.params.itemId, request.body.patientId, originOf(request));
      return reply.code(outcome.status === 'stored' ? 201 : 200).send(outcome);
    });

  app.delete('/api/reconciliation/:itemId', { config, schema: { tags, params: s.itemParams } },
    async (request, reply) => {
      await services.reconciliation.discard(principalOf(request), request.params.itemId, originOf(request));
      return reply.code(204).send();
    });
}
