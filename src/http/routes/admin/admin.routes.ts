import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './admin.schema.ts';

/** Service accounts with API keys (ROLE-4) and tenant settings; Administrators, with step-up for changes. */
export function registerAdminRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['admin'];
  const manage = { permission: 'service-accounts.manage', stepUp: true } as const;

  app.get('/api/service-accounts', { config: { access: { permission: 'service-accounts.manage' } }, schema: { tags, response: { 200: s.serviceAccountsReply } } },
    async (request) => ({ serviceAccounts: await services.serviceAccounts.listForTenant(principalOf(request).tenantId) }));

  app.post('/api/service-accounts', { config: { access: manage }, schema: { tags, body: s.serviceAccountBody, response: { 201: s.createdKeyReply } } },
    async (request, reply) => {
      const { account, key, expiresAt } = await services.serviceAccounts.create(principalOf(request), {
        name: request.body.name, role: request.body.role, patientIds: request.body.patientIds ?? null, expiresDays: request.body.expiresDays,
      }, originOf(request));
      return reply.code(201).send({ serviceAccount: account, apiKey: key, expiresAt });
    });

  app.post('/api/service-accounts/keys/:keyId/revoke', { config: { access: manage }, schema: { tags, params: s.keyParams } }, async (request, reply) => {
    const principal = principalOf(request);
    await services.serviceAccounts.revoke(principal.tenantId, request.params.keyId, principal.userId, originOf(request));
    return reply.code(204).send();
  });

  app.get('/api/tenant/settings', { config: { access: { permission: 'tenant-settings.manage' } }, schema: { tags, response: { 200: s.settingsReply } } },
    async (request) => services.tenantSettings.get(principalOf(request)));

  app.put('/api/tenant/settings', { config: { access: { permission: 'tenant-settings.manage', stepUp: true } }, schema: { tags, body: s.settingsBody, response: { 200: s.settingsReply } } },
    async (request) => services.tenantSettings.update(principalOf(request), request.body, originOf(request)));
}
