import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './patients.schema.ts';

/**
 * Patients, their care teams and break-the-glass (issue 3). Search is offered as `POST .../search`
 * (criteria in the body, so names never sit in URLs, logs of proxies or browser history) and, for API
 * clients that the interface promised it to, as `GET /api/patients?mrn=&name=`.
 */
export function registerPatientRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['patients'];
  const read = { permission: 'patients.read' } as const;

  app.post('/api/patients', { config: { access: { permission: 'patients.create' } }, schema: { tags, body: s.patientBody, response: { 201: s.patientViewReply } } },
    async (request, reply) => reply.code(201).send(await services.patients.create(principalOf(request), {
      ...request.body, email: request.body.email ?? null, phone: request.body.phone ?? null, address: request.body.address ?? null,
    }, originOf(request))));

  app.get('/api/patients', { config: { access: read }, schema: { tags, querystring: s.searchCriteria, response: { 200: s.patientListReply } } },
    async (request) => ({ patients: await services.patients.search(principalOf(request), request.query, originOf(request)) }));

  app.post('/api/patients/search', { config: { access: read }, schema: { tags, body: s.searchBody, response: { 200: s.patientListReply } } },
    async (request) => ({ patients: await services.patients.search(principalOf(request), request.body, originOf(request)) }));

  app.get('/api/patients/:id', { config: { access: read }, schema: { tags, params: s.patientParams, response: { 200: s.patientViewReply } } },
    async (request) => services.patients.get(principalOf(request), request.params.id, originOf(request)));

  app.patch('/api/patients/:id', { config: { access: { permission: 'patients.update' } }, schema: { tags, params: s.patientParams, body: s.patientPatch, response: { 200: s.patientViewReply } } },
    async (request) => services.patients.update(principalOf(request), request.params.id, request.body, originOf(request)));

  app.post('/api/patients/:id/break-glass', { config: { access: { permission: 'patients.break-glass' } }, schema: { tags, params: s.patientParams, body: s.breakGlassBody, response: { 200: s.patientViewReply } } },
    async (request) => services.patients.breakGlass(principalOf(request), request.params.id, request.body.reason, originOf(request)));

  // PRIV-2 crypto-shredding: Administrators only, with a fresh second factor and an explicit confirmation.
  app.post('/api/patients/:id/erase', { config: { access: { permission: 'patients.erase', stepUp: true } }, schema: { tags, params: s.patientParams, body: s.eraseBody, response: { 200: s.erasedReply } } },
    async (request) => services.erasure.erase(principalOf(request), request.params.id, originOf(request)));

  app.get('/api/patients/:id/care-team', { config: { access: { permission: 'care-team.read' } }, schema: { tags, params: s.patientParams, response: { 200: s.careTeamReply } } },
    async (request) => ({ members: await services.careTeams.list(principalOf(request), request.params.id) }));

  app.post('/api/patients/:id/care-team', { config: { access: { permission: 'care-team.manage' } }, schema: { tags, params: s.patientParams, body: s.careTeamBody, response: { 200: s.careTeamReply } } },
    async (request) => ({
      members: await services.careTeams.assign(principalOf(request), request.params.id, request.body.userId, request.body.endsAt ? new Date(request.body.endsAt) : null, originOf(request)),
    }));

  app.delete('/api/patients/:id/care-team/:userId', { config: { access: { permission: 'care-team.manage' } }, schema: { tags, params: s.careTeamParams } },
    async (request, reply) => {
      await services.careTeams.remove(principalOf(request), request.params.id, request.params.userId, originOf(request));
      return reply.code(204).send();
    });
}
