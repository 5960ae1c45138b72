import { del, get, post } from './client';
import type { UploadOutcome } from './imageUpload';

/**
 * One DICOM instance waiting in the reconciliation list: its Patient ID matched no MRN of the
 * organisation. The identifiers are the file's own (decrypted for this user), shown to help choose.
 */
export interface ReconciliationItem {
  id: string;
  dicomPatientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  studyInstanceUid: string;
  sopInstanceUid: string;
  modality: string | null;
  size: number;
  channel: 'upload' | 'stow' | 'dimse';
  uploadedBy: string | null;
  createdAt: string;
}

const base = '/api/reconciliation';
const one = (id: string): string => `${base}/${encodeURIComponent(id)}`;

/** The waiting items the user may manage, newest first (Technicians: their own uploads). */
export async function listReconciliation(): Promise<ReconciliationItem[]> {
  return (await get<{ items: ReconciliationItem[] }>(`${base}?limit=500`)).items;
}

/** Files an item to a patient: it is stored for them like an upload, and leaves the list. */
export function assignReconciliation(id: string, patientId: string): Promise<Extract<UploadOutcome, { instanceId: string }>> {
  return post(`${one(id)}/assign`, { patientId });
}

/** Discards an item: its bytes are deleted. */
export function discardReconciliation(id: string): Promise<void> {
  return del(one(id));
}
