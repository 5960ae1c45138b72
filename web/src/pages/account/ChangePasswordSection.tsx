import { useState, type FormEvent } from 'react';
import { changePassword } from '../../api/account';
import { ErrorMessage } from '../../components/ErrorMessage';
import { NewPasswordFields, newPasswordProblems } from '../../components/NewPasswordFields';
import { TextField } from '../../components/TextField';
import { useAction } from '../../hooks/useAction';

/** Change password: current, new, confirmation. The server signs out every other session. */
export function ChangePasswordSection({ email }: { email: string }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problems, setProblems] = useState<{ password?: string; confirm?: string }>({});
  const [done, setDone] = useState(false);
  const { run, pending, error } = useAction();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    setDone(false);
    const found = newPasswordProblems(next, confirmation);
    setProblems(found);
    if (found.password !== undefined || found.confirm !== undefined) return;
    const ok = await run(() => changePassword(current, next));
    if (ok) {
      setCurrent('');
      setNext('');
      setConfirmation('');
      setDone(true);
    }
  }

  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage error={error} fieldNames={['currentPassword', 'newPassword']} />
        {done && (
          <p className="alert alert-success" role="status" data-testid="password-changed">
            Your password has been changed. You have been signed out on your other devices.
          </p>
        )}
        <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
        <TextField
          id="current-password"
          label="Current password"
          type="password"
          value={current}
          onChange={setCurrent}
          autoComplete="current-password"
          required
          testId="current-password"
          error={error?.fieldMessage('currentPassword')}
        />
        <NewPasswordFields
          idPrefix="change"
          label="New password"
          password={next}
          confirmation={confirmation}
          onPassword={setNext}
          onConfirmation={setConfirmation}
          passwordError={problems.password ?? error?.fieldMessage('newPassword')}
          confirmError={problems.confirm}
        />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="change-password">
            {pending ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
