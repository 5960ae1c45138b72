import { useState } from 'react';
import { assignReconciliation, discardReconciliation, type ReconciliationItem } from '../../api/reconciliation';
import { clientError } from '../../api/errors';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDate, formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { PatientPicker } from './PatientPicker';

/** A DICOM Person Name (PS3.5 §6.2: `Family^Given^Middle^Prefix^Suffix`, alphabetic group) for people. */
export function personName(value: string | null): string {
  if (value === null) return '—';
  const [family = '', given = '', middle = ''] = (value.split('=')[0] ?? '').split('^');
  const first = [given, middle].filter((part) => part.trim() !== '').join(' ');
  return [family, first].filter((part) => part.trim() !== '').join(', ') || '—';
}

/** A DICOM date (DA, `YYYYMMDD`) for people. */
export function dicomDate(value: string | null): string {
  const match = value === null ? null : /^(\d{4})(\d{2})(\d{2})$/u.exec(value);
  return match === null ? (value ?? '—') : formatDate(`${match[1]}-${match[2]}-${match[3]}`);
}

const via: Record<ReconciliationItem['channel'], string> = { upload: 'Web upload', stow: 'DICOMweb', dimse: 'DICOM network' };

/** One waiting instance, with filing to a patient (search and choose) and discarding (confirmed). */
export function ReconciliationRow({ item, onDone }: { item: ReconciliationItem; onDone: (message: string) => void }) {
  const [mode, setMode] = useState<'idle' | 'assign' | 'discard'>('idle');
  const [patientId, setPatientId] = useState('');
  const { run, pending, error, setError } = useAction();

  async function assign(): Promise<void> {
    if (patientId === '') {
      setError(clientError('Choose the patient this image belongs to.', 'patient'));
      return;
    }
    if (await run(() => assignReconciliation(item.id, patientId))) onDone('The image was filed to the patient.');
  }

  async function discard(): Promise<void> {
    if (await run(() => discardReconciliation(item.id))) onDone('The image was discarded.');
  }

  return (
    <>
      <tr data-testid="reconciliation-row">
        <td>{formatDateTime(item.createdAt)}</td>
        <td data-testid="reconciliation-patient-id">{item.dicomPatientId ?? '—'}</td>
        <td>{personName(item.patientName)}</td>
        <td>{dicomDate(item.studyDate)}</td>
        <td>{item.studyDescription ?? '—'}</td>
        <td>{item.modality ?? '—'}</td>
        <td>{via[item.channel]}</td>
        <td className="actions">
          <button type="button" className="button button-small" onClick={() => setMode(mode === 'assign' ? 'idle' : 'assign')} aria-expanded={mode === 'assign'} data-testid="reconciliation-assign-open">
            Assign…
          </button>
          <button type="button" className="button button-small" onClick={() => setMode(mode === 'discard' ? 'idle' : 'discard')} aria-expanded={mode === 'discard'} data-testid="reconciliation-discard-open">
            Discard…
          </button>
        </td>
      </tr>
      {mode !== 'idle' && (
        <tr>
          <td colSpan={8}>
            <ErrorMessage error={error} fieldNames={[]} />
            {mode === 'assign' ? (
              <div className="inline-form">
                <PatientPicker id={`assign-${item.id}`} value={patientId} onChoose={setPatientId} />
                <p className="muted">The image is stored for this patient as if it had been uploaded to them; it leaves this list.</p>
                <button type="button" className="button primary" disabled={pending || patientId === ''} onClick={() => void assign()} data-testid="reconciliation-assign">
                  {pending ? 'Assigning…' : 'Assign to this patient'}
                </button>
              </div>
            ) : (
              <div className="inline-form">
                <p>Discard this image for good? Its bytes are deleted; the sender would have to send it again.</p>
                <button type="button" className="button danger" disabled={pending} onClick={() => void discard()} data-testid="reconciliation-discard">
                  {pending ? 'Discarding…' : 'Discard'}
                </button>
              </div>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
