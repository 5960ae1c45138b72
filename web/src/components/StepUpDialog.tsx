import { useState, type FormEvent } from 'react';
import { stepUp } from '../api/account';
import { useAction } from '../hooks/useAction';
import { useModalDialog } from '../hooks/useModalDialog';
import { ErrorMessage } from './ErrorMessage';
import { TextField } from './TextField';

/**
 * Modal dialog asking for a TOTP or recovery code before a sensitive action is retried.
 * `onDone(true)` after a successful step-up, `onDone(false)` when cancelled.
 */
export function StepUpDialog({ onDone }: { onDone: (ok: boolean) => void }) {
  const ref = useModalDialog();
  const [code, setCode] = useState('');
  const { run, pending, error } = useAction();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (await run(() => stepUp(code.replace(/\s+/gu, '')))) onDone(true);
  }

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="step-up-title"
      aria-describedby="step-up-description"
      data-testid="step-up-dialog"
      onCancel={(event) => {
        event.preventDefault();
        onDone(false);
      }}
    >
      <form onSubmit={(event) => void submit(event)} noValidate>
        <h2 id="step-up-title">Confirm it is you</h2>
        <p id="step-up-description">
          This action needs a fresh check of your second factor. Enter the 6-digit code from your
          authenticator app, or one of your recovery codes.
        </p>
        <ErrorMessage error={error} />
        <TextField
          id="step-up-code"
          label="Authenticator or recovery code"
          value={code}
          onChange={setCode}
          autoComplete="one-time-code"
          autoFocus
          required
          spellCheck={false}
          testId="step-up-code"
          error={error?.fieldMessage('code')}
        />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending || code.trim() === ''} data-testid="step-up-submit">
            {pending ? 'Checking…' : 'Confirm'}
          </button>
          <button type="button" className="button" onClick={() => onDone(false)} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
