import { z } from 'zod';
import { roles } from '../../../domain/roles.ts';
import { email } from '../auth/auth.schema.ts';
import { personName } from '../shared.schema.ts';

const roleList = z.array(z.enum(roles)).min(1).max(roles.length);

export const inviteBody = z.strictObject({ email, displayName: personName.optional(), roles: roleList });
export const rolesBody = z.strictObject({ roles: roleList });
export const userParams = z.strictObject({ id: z.uuid() });

export const userReply = z.object({
  id: z.string(), email: z.string(), displayName: z.string().nullable(), roles: z.array(z.string()),
  status: z.enum(['invited', 'active', 'disabled']), mfaEnrolled: z.boolean(), createdAt: z.date(),
});
export const usersReply = z.object({ users: z.array(userReply) });
export const invitationReply = z.object({ userId: z.string(), enrolmentUrl: z.string(), expiresAt: z.date() });
export const securityEventsReply = z.object({
  events: z.array(z.object({ id: z.string(), at: z.date(), severity: z.string(), kind: z.string(), actorId: z.string().nullable(), subjectId: z.string().nullable() })),
});
