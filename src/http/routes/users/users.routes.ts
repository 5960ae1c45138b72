import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './users.schema.ts';

/** User administration for Administrators; every change needs a fresh second factor (AUTH-7). */
export function registerUserRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['users'];

  app.get('/api/users', { config: { access: { permission: 'users.read' } }, schema: { tags, response: { 200: s.usersReply } } },
    async (request) => ({ users: await services.users.list(principalOf(request)) }));

  app.post('/api/users/invitations', {
    config: { access: { permission: 'users.manage', stepUp: true } },
    schema: { tags, body: s.inviteBody, response: { 200: s.invitationReply } },
  }, async (request) => {
    const { userId, link } = await services.users.inviteAs(principalOf(request), request.body, originOf(request));
    return { userId, enrolmentUrl: link.url, expiresAt: link.expiresAt };
  });

  app.put('/api/users/:id/roles', {
    config: { access: { permission: 'users.manage', stepUp: true } },
    schema: { tags, params: s.userParams, body: s.rolesBody, response: { 200: s.userReply } },
  }, async (request) => services.users.setRoles(principalOf(request), request.params.id, request.body.roles, originOf(request)));

  for (const [action, enabled] of [['disable', false], ['enable', true]] as const) {
    app.post(`/api/users/:id/${action}`, {
      config: { access: { permission: 'users.manage', stepUp: true } },
      schema: { tags, params: s.userParams, response: { 200: s.userReply } },
    }, async (request) => services.users.setEnabled(principalOf(request), request.params.id, enabled, originOf(request)));
  }

  app.get('/api/security-events', { config: { access: { permission: 'security-events.read' } }, schema: { tags: ['security'], response: { 200: s.securityEventsReply } } },
    async (request) => ({ events: await services.securityEvents.listRecent(principalOf(request).tenantId) }));
}
