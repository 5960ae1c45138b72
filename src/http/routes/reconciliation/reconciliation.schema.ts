import { z } from 'zod';

export const itemParams = z.strictObject({ itemId: z.uuid() });
export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});
export const assignBody = z.strictObject({ patientId: z.uuid() });

/** One waiting item: the decrypted identifiers from the file (it matched no patient, so they are the file's own). */
const item = z.object({
  id: z.string(),
  dicomPatientId: z.string().nullable(),
  patientName: z.string().nullable(),
  studyDate: z.string().nullable(),
  studyDescription: z.string().nullable(),
  studyInstanceUid: z.string(),
  sopInstanceUid: z.string(),
  modality: z.string().nullable(),
  size: z.number(),
  channel: z.enum(['upload', 'stow', 'dimse']),
  uploadedBy: z.string().nullable(),
  createdAt: z.date(),
});
export const listReply = z.object({ items: z.array(item) });

export const assignReply = z.object({
  status: z.enum(['stored', 'duplicate']), instanceId: z.string(), studyId: z.string(), seriesId: z.string(), patientId: z.string(),
  kind: z.enum(['dicom', 'nifti', 'png', 'jpeg']),
});
