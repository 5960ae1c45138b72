import { AppShell } from '../../layout/AppShell';
import { Link } from '../../router/Link';
import { patientPath, paths } from '../../router/paths';
import { FileDrop } from './FileDrop';
import { UploadRow } from './UploadRow';
import { PARALLEL_UPLOADS } from './uploadQueue';
import { useUploadQueue } from './useUploadQueue';

const ANY_IMAGE = '.dcm,.dicom,.nii,.nii.gz,.gz,.png,.jpg,.jpeg,application/dicom,image/png,image/jpeg';

/**
 * Uploads, one request per file with a progress bar each: to a patient (`/patients/:id/upload`:
 * DICOM, NIfTI, PNG, JPEG), or DICOM matched to patients by Patient ID ↔ MRN (`/images/upload`).
 * The server decides each file's type from its bytes; the file name is only a hint and never sent.
 */
export function UploadPage({ patientId }: { patientId: string | null }) {
  const { items, add } = useUploadQueue(patientId === null ? { matchByPatientId: true } : { patientId });
  const finished = items.filter((i) => i.state !== 'queued' && i.state !== 'uploading').length;
  return (
    <AppShell title={patientId === null ? 'Upload DICOM' : 'Upload images'}>
      <p>
        {patientId === null ? <Link to={paths.patients}>← Patients</Link> : <Link to={patientPath(patientId)} data-testid="back-to-patient">← Patient</Link>}
      </p>
      <h1>{patientId === null ? 'Upload DICOM' : 'Upload images'}</h1>
      <p className="muted">
        {patientId === null
          ? 'DICOM files go to the patient whose MRN is their Patient ID (0010,0020). Files that match no patient wait in the reconciliation list, where they are filed to a patient or discarded.'
          : 'DICOM (.dcm), NIfTI (.nii, .nii.gz), PNG and JPEG files go to this patient. Every file is scanned for malware and checked before it is stored.'}
        {` Up to ${PARALLEL_UPLOADS} files are sent at a time.`}
      </p>
      {/* DICOM files often have no extension (named by UID or number): the global page filters nothing. */}
      <FileDrop accept={patientId === null ? undefined : ANY_IMAGE}
        hint={patientId === null ? 'DICOM Part 10 files' : 'DICOM, NIfTI, PNG or JPEG'} onFiles={add} />
      {items.length > 0 && (
        <section className="panel" aria-labelledby="uploads-title">
          <h2 id="uploads-title">Files</h2>
          <p className="muted" role="status" data-testid="upload-summary">
            {finished} of {items.length} done
          </p>
          <ul className="upload-list">
            {items.map((item) => (
              <UploadRow key={item.id} item={item} showPatient={patientId === null} />
            ))}
          </ul>
        </section>
      )}
    </AppShell>
  );
}
