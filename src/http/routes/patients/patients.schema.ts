import { z } from 'zod';
import { e164Phone, pastDate, personName, plainText } from '../shared.schema.ts';
import { email } from '../auth/auth.schema.ts';

/** MRN: 1-64 printable characters here; each tenant's own format is checked by the service. */
const mrn = z.string().trim().min(1).max(64).regex(/^[\x21-\x7E]+$/);
const sex = z.enum(['female', 'male', 'other', 'unknown']);

export const patientBody = z.strictObject({
  mrn,
  givenName: personName,
  familyName: personName,
  birthDate: pastDate('1900-01-01'),
  sex,
  email: email.nullable().optional(),
  phone: e164Phone.nullable().optional(),
  address: plainText(500).nullable().optional(),
});
export const patientPatch = patientBody.partial().refine((p) => Object.keys(p).length > 0, { message: 'empty_patch' });

export const patientParams = z.strictObject({ id: z.uuid() });
export const careTeamParams = z.strictObject({ id: z.uuid(), userId: z.uuid() });

/** Search: exact MRN or a name prefix; bounded paging. */
export const searchCriteria = z.strictObject({
  mrn: mrn.optional(),
  name: z.string().trim().min(1).max(100).regex(/^[\p{L}\p{M} .'’-]+$/u).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

/** The body of `POST /search` may also match an exact e-mail or phone (never in a URL: they identify). */
export const searchBody = searchCriteria.extend({ email: email.optional(), phone: e164Phone.optional() });

/** Erasure cannot be undone: the caller says so in words. */
export const eraseBody = z.strictObject({ confirm: z.literal('erase-permanently') });
export const erasedReply = z.object({ patientId: z.string(), erasedAt: z.date() });

export const breakGlassBody = z.strictObject({ reason: plainText(1000).pipe(z.string().min(10)) });
export const careTeamBody = z.strictObject({ userId: z.uuid(), endsAt: z.iso.datetime({ offset: true }).nullable().optional() });

const patientOut = z.object({
  id: z.string(), mrn: z.string(), givenName: z.string(), familyName: z.string(),
  birthDate: z.string().optional(), sex: z.string().optional(), email: z.string().nullable().optional(),
  phone: z.string().nullable().optional(), address: z.string().nullable().optional(),
  createdAt: z.date().optional(), updatedAt: z.date().optional(),
});
export const patientViewReply = z.object({
  fields: z.enum(['full', 'minimal']),
  access: z.object({ via: z.enum(['role', 'care-team', 'break-glass']), expiresAt: z.date().nullable() }),
  patient: patientOut,
});
export const patientListReply = z.object({ patients: z.array(patientViewReply) });
export const careTeamReply = z.object({
  members: z.array(z.object({ userId: z.string(), email: z.string(), displayName: z.string().nullable(), roles: z.array(z.string()), endsAt: z.date().nullable() })),
});
