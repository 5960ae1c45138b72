import { z } from 'zod';

export const patientParams = z.strictObject({ id: z.uuid() });
export const instanceParams = z.strictObject({ instanceId: z.uuid() });
export const uploadQuery = z.strictObject({ studyId: z.uuid().optional() });
export const studiesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

export const uploadReply = z.object({
  status: z.enum(['stored', 'duplicate']), instanceId: z.string(), studyId: z.string(), seriesId: z.string(), patientId: z.string(),
  kind: z.enum(['dicom', 'nifti', 'png', 'jpeg']),
});
/** 202: DICOM whose Patient ID matches no MRN, held in the reconciliation list (docs/api-images.md). */
export const heldReply = z.object({ status: z.literal('reconciliation'), reconciliationId: z.string(), kind: z.literal('dicom') });

const instance = z.object({
  id: z.string(), seriesId: z.string(), studyId: z.string(), patientId: z.string(), sopInstanceUid: z.string(), sopClassUid: z.string().nullable(),
  transferSyntaxUid: z.string().nullable(), kind: z.string(), instanceNumber: z.number().nullable(), rows: z.number().nullable(),
  columns: z.number().nullable(), frames: z.number().nullable(), bitsAllocated: z.number().nullable(), burnedInAnnotation: z.string().nullable(),
  size: z.number(), createdAt: z.date(),
});
export const instanceReply = instance;
export const studiesReply = z.object({
  studies: z.array(z.object({
    id: z.string(), patientId: z.string(), studyInstanceUid: z.string(), accessionNumber: z.string().nullable(), studyDate: z.string().nullable(),
    studyTime: z.string().nullable(), description: z.string().nullable(), modalities: z.array(z.string()),
    series: z.array(z.object({
      id: z.string(), studyId: z.string(), seriesInstanceUid: z.string(), modality: z.string().nullable(), seriesNumber: z.number().nullable(),
      description: z.string().nullable(), instances: z.array(instance),
    })),
  })),
});

/** Media types of uploads (ING-1); the bytes decide the type, and the declared one must agree. */
export const uploadMediaTypes = ['application/dicom', 'application/octet-stream', 'application/gzip', 'application/x-gzip', 'image/png', 'image/jpeg'];

/** What a stored instance is served as. */
export const storedMediaType = { dicom: 'application/dicom', nifti: 'application/octet-stream', png: 'image/png', jpeg: 'image/jpeg' } as const;
export const storedExtension = { dicom: 'dcm', nifti: 'nii', png: 'png', jpeg: 'jpg' } as const;
