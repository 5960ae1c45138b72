import { z } from 'zod';

export const auditFilter = z.strictObject({
  actorId: z.uuid().optional(),
  patientId: z.uuid().optional(),
  action: z.string().regex(/^[a-z-]+\.[a-z-]+$/).max(60).optional(),
  outcome: z.enum(['success', 'denied', 'failure', 'error']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const exportQuery = auditFilter.extend({ format: z.enum(['fhir', 'csv']), limit: z.coerce.number().int().min(1).max(50_000).default(10_000) });
export const disclosuresQuery = z.strictObject({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() });
export const disclosuresExportQuery = disclosuresQuery.extend({ format: z.enum(['fhir', 'csv']) });
export const inclusionQuery = z.strictObject({ seq: z.coerce.number().int().min(0), treeSize: z.coerce.number().int().min(1) });
export const consistencyQuery = z.strictObject({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) });

export const entryReply = z.object({
  seq: z.number(), at: z.date(), actorKind: z.string(), actorId: z.string().nullable(), action: z.string(),
  resourceType: z.string().nullable(), resourceId: z.string().nullable(), patientId: z.string().nullable(), outcome: z.string(),
  sourceAddress: z.string().nullable(), requestId: z.string().nullable(), details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export const entriesReply = z.object({ entries: z.array(entryReply), nextBefore: z.number().nullable() });
