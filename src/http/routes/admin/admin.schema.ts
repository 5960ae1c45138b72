import { z } from 'zod';
import { roles } from '../../../domain/roles.ts';
import { plainText } from '../shared.schema.ts';

export const serviceAccountBody = z.strictObject({
  name: plainText(100).pipe(z.string().min(1)),
  role: z.enum(roles),
  patientIds: z.array(z.uuid()).min(1).max(1000).nullable().optional(),
  expiresDays: z.number().int().min(1).max(365).default(90),
});
export const keyParams = z.strictObject({ keyId: z.uuid() });
export const settingsBody = z.strictObject({
  mrnPattern: z.string().min(1).max(200),
  cliniciansManageCareTeam: z.boolean(),
  breakGlassMinutes: z.number().int().min(5).max(720),
});

export const createdKeyReply = z.object({
  serviceAccount: z.object({ id: z.string(), name: z.string(), role: z.string(), patientIds: z.array(z.string()).nullable() }),
  apiKey: z.string(),
  expiresAt: z.date(),
});
export const serviceAccountsReply = z.object({
  serviceAccounts: z.array(z.object({
    id: z.string(), name: z.string(), role: z.string(), patientIds: z.array(z.string()).nullable(), createdAt: z.date(),
    keys: z.array(z.object({ id: z.string(), createdAt: z.date(), expiresAt: z.date(), revokedAt: z.date().nullable(), lastUsedAt: z.date().nullable() })),
  })),
});
export const settingsReply = settingsBody;
