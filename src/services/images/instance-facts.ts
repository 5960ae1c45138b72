import { randomUUID } from 'node:crypto';
import type { ValidatedFile } from './validate-upload.ts';

/** What the index stores about one instance, whatever its format. */
export interface InstanceFacts {
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** True for NIfTI, PNG and JPEG, whose UIDs Clarus makes up. */
  generatedUids: boolean;
  sopClassUid: string | null;
  transferSyntaxUid: string | null;
  patientId?: string | undefined;
  modality?: string | undefined;
  studyDate?: string | undefined;
  studyTime?: string | undefined;
  accessionNumber?: string | undefined;
  studyDescription?: string | undefined;
  seriesDescription?: string | undefined;
  seriesNumber: number | null;
  instanceNumber: number | null;
  rows: number | null;
  columns: number | null;
  frames: number | null;
  bitsAllocated: number | null;
  burnedInAnnotation: 'YES' | 'NO' | null;
}

/** A UID under the 2.25 root from a random UUID (PS3.5 §B.2): needs no registered organisation root. */
export function generatedUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

/** Secondary Capture Image Storage (PS3.4 Annex B): how PNG and JPEG uploads are described. */
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

/**
 * The index facts of an accepted file. NIfTI, PNG and JPEG become first-class instances (issue 6
 * item 5) with generated UIDs, each in its own series; their study is chosen by the uploader or new.
 */
export function describeInstance(file: ValidatedFile): InstanceFacts {
  switch (file.kind) {
    case 'dicom': {
      const d = file.dicom;
      return {
        sopInstanceUid: d.sopInstanceUid, studyInstanceUid: d.studyInstanceUid, seriesInstanceUid: d.seriesInstanceUid, generatedUids: false,
        sopClassUid: d.sopClassUid, transferSyntaxUid: d.transferSyntaxUid, patientId: d.patientId, modality: d.modality,
        studyDate: d.studyDate, studyTime: d.studyTime, accessionNumber: d.accessionNumber, studyDescription: d.studyDescription,
        seriesDescription: d.seriesDescription, seriesNumber: d.seriesNumber ?? null, instanceNumber: d.instanceNumber ?? null,
        rows: d.rows ?? null, columns: d.columns ?? null, frames: d.pixelData === 'none' ? null : (d.numberOfFrames ?? 1),
        bitsAllocated: d.bitsAllocated ?? null, burnedInAnnotation: d.burnedInAnnotation === undefined ? null : d.burnedInAnnotation ? 'YES' : 'NO',
      };
    }
    case 'nifti': {
      const [x, y, z] = file.nifti.dims;
      return {
        ...generated(), sopClassUid: null, transferSyntaxUid: null, modality: 'OT', seriesNumber: null, instanceNumber: 1,
        rows: y ?? null, columns: x ?? null, frames: z ?? 1, bitsAllocated: file.nifti.bytesPerVoxel * 8, burnedInAnnotation: null,
      };
    }
    case 'png':
    case 'jpeg':
      return {
        ...generated(), sopClassUid: SECONDARY_CAPTURE, transferSyntaxUid: null, modality: 'OT', seriesNumber: null, instanceNumber: 1,
        // Screenshots and photographs may show text in their pixels: de-identification holds them back (issue 7).
        rows: file.height, columns: file.width, frames: 1, bitsAllocated: 8, burnedInAnnotation: null,
      };
    default: {
      const unexpected: never = file;
      throw new Error(`unknown kind ${String(unexpected)}`);
    }
  }
}

function generated(): Pick<InstanceFacts, 'sopInstanceUid' | 'studyInstanceUid' | 'seriesInstanceUid' | 'generatedUids'> {
  return { sopInstanceUid: generatedUid(), studyInstanceUid: generatedUid(), seriesInstanceUid: generatedUid(), generatedUids: true };
}
