import { z } from 'zod';
import { consentDecisions, consentPurposes } from '../../../domain/consent.ts';

const uuid = z.uuid();
const user = z.object({ id: z.string(), displayName: z.string().nullable() });

export const consentParams = z.object({ id: uuid, purpose: z.enum(consentPurposes) });
export const consentBody = z.object({ status: z.enum(consentDecisions) }).strict();
export const consentsReply = z.object({
  consents: z.array(z.object({ purpose: z.enum(consentPurposes), status: z.enum([...consentDecisions, 'unknown']), recordedAt: z.date().nullable(), recordedBy: user.nullable() })),
});

const region = z.object({ x: z.number().int().min(0).max(65_535), y: z.number().int().min(0).max(65_535), width: z.number().int().min(1).max(65_535), height: z.number().int().min(1).max(65_535) }).strict();
export const pixelDecisionBody = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('confirmed-clean') }).strict(),
  z.object({ decision: z.literal('masked'), regions: z.array(region).min(1).max(32) }).strict(),
]);
export const pixelReviewReply = z.object({
  hold: z.boolean(), reason: z.string().nullable(), detail: z.string().nullable(), configuredMask: z.boolean(),
  decision: z.object({ decision: z.enum(['confirmed-clean', 'masked']), regions: z.array(region).nullable(), reviewedAt: z.date(), reviewedBy: user }).nullable(),
});

export const exportBody = z.object({
  studyIds: z.array(uuid).min(1).max(200),
  // Free text that goes into the manifest: the form asks that it hold no patient information.
  purpose: z.string().trim().min(3).max(200).regex(/^[^\p{Cc}]*$/u, 'no control characters'),
  options: z.array(z.string().max(64)).max(16),
}).strict();

export const exportParams = z.object({ exportId: uuid });
export const instanceParams = z.object({ instanceId: uuid });

export const exportView = z.object({
  id: z.string(), requestedBy: z.string(), state: z.enum(['queued', 'running', 'ready', 'downloaded', 'failed', 'expired']), purpose: z.string(), options: z.array(z.string()),
  studyCount: z.number(), progress: z.object({ done: z.number(), total: z.number() }), withheld: z.number(), size: z.number().nullable(),
  createdAt: z.date(), finishedAt: z.date().nullable(), expiresAt: z.date(), error: z.string().nullable(),
});
export const exportList = z.object({ exports: z.array(exportView) });
export const optionsReply = z.object({ options: z.array(z.object({ name: z.string(), meaning: z.string(), allowed: z.boolean(), why: z.string().nullable() })) });
export const preflightReply = z.object({
  ready: z.boolean(), files: z.number(), bytes: z.number(),
  studies: z.array(z.object({ studyId: z.string(), patientId: z.string(), consent: z.string(), instances: z.number(), held: z.array(z.object({ instanceId: z.string(), seriesId: z.string(), reason: z.string() })) })),
});

const deviceModel = z.object({ manufacturer: z.string().max(64).optional(), model: z.string().min(1).max(64) }).strict();
export const deidSettingsBody = z.object({
  pixelPolicy: z.object({
    extraSopClasses: z.array(z.string().regex(/^\d[\d.]{0,63}$/, 'a UID')).max(50).readonly().optional(),
    deviceModels: z.array(deviceModel).max(100).readonly().optional(),
    masks: z.array(deviceModel.extend({ rows: z.number().int().min(1).max(65_535), columns: z.number().int().min(1).max(65_535), regions: z.array(region).min(1).max(32).readonly() }).strict()).max(100).readonly().optional(),
  }).strict(),
  textAllowList: z.array(z.string().trim().min(1).max(200)).max(500),
  safePrivate: z.array(z.string().max(100)).max(200),
}).strict();
export const deidSettingsReply = deidSettingsBody.extend({ updatedAt: z.date().nullable() });
