import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../../compose.ts';
import { originOf, principalOf } from '../../route-access.ts';

const keyStatus = z.object({
  provider: z.string(), rootKeyId: z.string(), rotationDays: z.number(),
  keys: z.array(z.object({
    purpose: z.string(), version: z.number(), state: z.string(), rootKeyId: z.string(), createdAt: z.date(), ageDays: z.number(),
    retiredAt: z.date().nullable(), patientKeys: z.number().nullable(), nextRotation: z.date().nullable(),
  })),
});

/** Key status and on-demand rotation for Administrators (KEY-3); rotation needs a fresh second factor. */
export function registerKeyRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['keys'];
  app.get('/api/admin/keys', { config: { access: { permission: 'keys.read' } }, schema: { tags, response: { 200: keyStatus } } },
    async (request) => services.keys.status(principalOf(request).tenantId));

  app.post('/api/admin/keys/rotate', { config: { access: { permission: 'keys.manage', stepUp: true } }, schema: { tags, response: { 200: keyStatus } } },
    async (request) => {
      const principal = principalOf(request);
      await services.keys.rotateTenant(principal.tenantId, { tenantId: principal.tenantId, kind: principal.kind, id: principal.userId }, originOf(request), undefined, { background: true });
      return services.keys.status(principal.tenantId);
    });
}
