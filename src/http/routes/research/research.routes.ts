import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './research.schema.ts';

/**
 * Issue 7 (PRIV-1, DEID-1..3): consent per patient and purpose, the pixel review of images that may
 * carry text, research exports (step-up to start one; only the requester downloads), and the
 * tenant's de-identification settings. Thin: parse, call a service, answer (docs/api-research.md).
 */
export function registerResearchRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const exportAccess = { permission: 'research.export' } as const;

  app.get('/api/patients/:id/consents', { config: { access: { permission: 'patients.read' } }, schema: { tags: ['consent'], params: s.consentParams.pick({ id: true }), response: { 200: s.consentsReply } } },
    async (request) => ({ consents: await services.consents.list(principalOf(request), request.params.id) }));

  app.put('/api/patients/:id/consents/:purpose', { config: { access: { permission: 'consents.manage' } }, schema: { tags: ['consent'], params: s.consentParams, body: s.consentBody, response: { 200: s.consentsReply } } },
    async (request) => ({ consents: await services.consents.record(principalOf(request), request.params.id, request.params.purpose, request.body.status, originOf(request)) }));

  app.get('/api/images/instances/:instanceId/pixel-review', { config: { access: { permission: 'images.read' } }, schema: { tags: ['pixel-review'], params: s.instanceParams, response: { 200: s.pixelReviewReply } } },
    async (request) => services.pixelReviews.get(principalOf(request), request.params.instanceId));

  app.post('/api/images/instances/:instanceId/pixel-review', { config: { access: { permission: 'images.pixel-review' } }, schema: { tags: ['pixel-review'], params: s.instanceParams, body: s.pixelDecisionBody, response: { 200: s.pixelReviewReply } } },
    async (request) => services.pixelReviews.decide(principalOf(request), request.params.instanceId, request.body, originOf(request)));

  const tags = ['research-exports'];
  app.get('/api/research-exports/options', { config: { access: exportAccess }, schema: { tags, response: { 200: s.optionsReply } } },
    async () => ({ options: services.researchExports.options() }));

  app.post('/api/research-exports/preflight', { config: { access: exportAccess }, schema: { tags, body: s.exportBody, response: { 200: s.preflightReply } } },
    async (request) => services.researchExports.preflight(principalOf(request), request.body));

  app.post('/api/research-exports', { config: { access: { ...exportAccess, stepUp: true } }, schema: { tags, body: s.exportBody, response: { 202: s.exportView } } },
    async (request, reply) => reply.code(202).send(await services.researchExports.request(principalOf(request), request.body, originOf(request))));

  app.get('/api/research-exports', { config: { access: exportAccess }, schema: { tags, response: { 200: s.exportList } } },
    async (request) => ({ exports: await services.researchExports.list(principalOf(request)) }));

  app.get('/api/research-exports/:exportId', { config: { access: exportAccess }, schema: { tags, params: s.exportParams, response: { 200: s.exportView } } },
    async (request) => services.researchExports.get(principalOf(request), request.params.exportId));

  // AUTH-7: taking the archive away is the export itself: a fresh second factor, checked first by
  // the web app through download-check (a plain link cannot answer a step-up prompt).
  app.post('/api/research-exports/:exportId/download-check', { config: { access: { ...exportAccess, stepUp: true } }, schema: { tags, params: s.exportParams } },
    async (request, reply) => {
      await services.researchExports.checkDownload(principalOf(request), request.params.exportId);
      return reply.code(204).send();
    });

  app.get('/api/research-exports/:exportId/download', { config: { access: { ...exportAccess, stepUp: true } }, schema: { tags, params: s.exportParams } },
    async (request, reply) => {
      const { stream, size } = await services.researchExports.download(principalOf(request), request.params.exportId, originOf(request));
      return reply.header('content-type', 'application/zip').header('content-length', String(size)).header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="clarus-export-${request.params.exportId}.zip"`).send(stream);
    });

  app.delete('/api/research-exports/:exportId', { config: { access: exportAccess }, schema: { tags, params: s.exportParams } },
    async (request, reply) => {
      await services.researchExports.remove(principalOf(request), request.params.exportId, originOf(request));
      return reply.code(204).send();
    });

  app.get('/api/admin/deid-settings', { config: { access: { permission: 'deid.configure' } }, schema: { tags: ['deid'], response: { 200: s.deidSettingsReply } } },
    async (request) => services.deidSettings.get(principalOf(request)));

  // Masks and allow-lists decide what leaves without a reviewer: changing them needs step-up (AUTH-7).
  app.put('/api/admin/deid-settings', { config: { access: { permission: 'deid.configure', stepUp: true } }, schema: { tags: ['deid'], body: s.deidSettingsBody, response: { 200: s.deidSettingsReply } } },
    async (request) => services.deidSettings.update(principalOf(request), request.body, originOf(request)));
}
