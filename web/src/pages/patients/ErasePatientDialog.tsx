import { useState, type FormEvent } from 'react';
import { erasePatient } from '../../api/patients';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextField } from '../../components/TextField';
import { useAction } from '../../hooks/useAction';
import { useModalDialog } from '../../hooks/useModalDialog';
import { navigate } from '../../router/history';
import { paths } from '../../router/paths';
import { leavePatientsNotice } from './patientsNotice';

/**
 * Explains crypto-shredding, asks for the patient's MRN as typed confirmation, then erases (the
 * server asks for step-up, through the shared dialog) and goes to the patient list with a notice.
 * Nothing about the patient goes into a URL: the id only, in the API path.
 */
export function ErasePatientDialog({ patientId, mrn, onCancel }: { patientId: string; mrn: string; onCancel: () => void }) {
  const ref = useModalDialog();
  const [typed, setTyped] = useState('');
  const { run, pending, error } = useAction();
  const confirmed = typed.trim() === mrn;

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (!confirmed || pending) return;
    if (await run(() => erasePatient(patientId))) {
      leavePatientsNotice('Patient erased. Their data can no longer be read.');
      navigate(paths.patients);
    }
  }

  return (
    <dialog ref={ref} className="dialog dialog-danger" aria-labelledby="erase-title" aria-describedby="erase-description"
      data-testid="erase-dialog" onCancel={(event) => {
        event.preventDefault();
        if (!pending) onCancel();
      }}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <h2 id="erase-title">Erase this patient permanently?</h2>
        <div id="erase-description">
          <p>
            Clarus locks each patient’s data with a key of its own. Erasing destroys that key, so the patient’s details
            can no longer be read — by anyone, administrators included. This is called crypto-shredding.
          </p>
          <p>
            <strong>This cannot be undone.</strong> The patient disappears from search and from every page. Backups made
            before now still hold a locked copy until they expire on your organisation’s backup schedule. The audit log
            keeps its entries, which hold ids, not the patient’s details.
          </p>
        </div>
        <ErrorMessage error={error} />
        <TextField id="erase-mrn" label="Type the patient’s MRN to confirm" value={typed} onChange={setTyped} testId="erase-mrn"
          hint={`The MRN is ${mrn}.`} autoComplete="off" spellCheck={false} autoFocus required />
        <div className="actions">
          <button type="submit" className="button danger" disabled={!confirmed || pending} data-testid="erase-submit">
            {pending ? 'Erasing…' : 'Erase permanently'}
          </button>
          <button type="button" className="button" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
