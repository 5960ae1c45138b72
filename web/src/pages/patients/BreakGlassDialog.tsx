import { useState, type FormEvent } from 'react';
import { clientError } from '../../api/errors';
import type { PatientView } from '../../api/patient-types';
import { breakGlass } from '../../api/patients';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextAreaField } from '../../components/TextAreaField';
import { useAction } from '../../hooks/useAction';
import { useModalDialog } from '../../hooks/useModalDialog';

/** The server's minimum length of a break-the-glass reason. */
const MIN_REASON = 10;

/**
 * Asks why the glass must be broken, says that it is audited, and opens the patient for a limited
 * time. `onOpened` gets the patient view (access via break-glass); `onCancel` closes the dialog.
 */
export function BreakGlassDialog({ patientId, onOpened, onCancel }: { patientId: string; onOpened: (view: PatientView) => void; onCancel: () => void }) {
  const ref = useModalDialog();
  const [reason, setReason] = useState('');
  const { run, pending, error, setError } = useAction();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (reason.trim().length < MIN_REASON) {
      setError(clientError(`Describe the emergency in at least ${MIN_REASON} characters.`, 'reason'));
      return;
    }
    await run(async () => onOpened(await breakGlass(patientId, reason.trim())));
  }

  return (
    <dialog ref={ref} className="dialog dialog-danger" aria-labelledby="break-glass-title" aria-describedby="break-glass-description"
      data-testid="break-glass-dialog" onCancel={(event) => {
        event.preventDefault();
        if (!pending) onCancel();
      }}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <h2 id="break-glass-title">Break the glass</h2>
        <div id="break-glass-description">
          <p>
            This patient is not on your care team. In an emergency you may open their record for a limited
            time set by your organisation.
          </p>
          <p>
            <strong>This is audited as a High security event:</strong> your name, the time and your reason
            are recorded and reviewed. Use it only when the patient’s care needs it now.
          </p>
        </div>
        <ErrorMessage error={error} fieldNames={['reason']} />
        <TextAreaField id="break-glass-reason" label="Reason" value={reason} onChange={setReason} testId="break-glass-reason"
          hint="For example: “Patient brought to A&E unconscious, on-call cardiologist”." error={error?.fieldMessage('reason')}
          maxLength={1000} rows={4} autoFocus required />
        <div className="actions">
          <button type="submit" className="button danger" disabled={pending} data-testid="break-glass-submit">
            {pending ? 'Opening…' : 'Break the glass and open'}
          </button>
          <button type="button" className="button" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
