import { useState, type FormEvent } from 'react';
import { verifyMfaRecovery, verifyMfaTotp } from '../api/auth';
import { clientError } from '../api/errors';
import type { Me, MfaMethod } from '../api/types';
import { CodeField } from '../components/CodeField';
import { ErrorMessage } from '../components/ErrorMessage';
import { useAction } from '../hooks/useAction';
import { AuthLayout } from '../layout/AuthLayout';
import { signInWithPasskey } from '../passkeys';
import { useSession } from '../session/SessionContext';

type Mode = 'totp' | 'recovery';

/** The methods to offer: those of the sign-in answer, or (after a reload) those /me reports. */
function availableMethods(methods: MfaMethod[] | null, me: Me | null): Set<MfaMethod> {
  if (methods !== null) return new Set(methods);
  const found = new Set<MfaMethod>(['recovery']);
  if (me === null || me.mfa.totp) found.add('totp');
  if (me !== null && Boolean(me.mfa.passkeys)) found.add('webauthn');
  return found;
}

/** Stage mfa (`/sign-in/verify`): TOTP code, a recovery code, or a passkey. */
export function MfaPage() {
  const { state, methods, reload, signOut } = useSession();
  const me = state.status === 'signed-in' ? state.me : null;
  const offered = availableMethods(methods, me);
  const [mode, setMode] = useState<Mode>(offered.has('totp') ? 'totp' : 'recovery');
  const [code, setCode] = useState('');
  const { run, pending, error, setError } = useAction();

  function switchTo(next: Mode): void {
    setMode(next);
    setCode('');
    setError(null);
  }

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const value = code.trim();
    if (mode === 'totp' && !/^\d{6}$/u.test(value)) {
      setError(clientError('Enter the 6-digit code from your authenticator app.', 'code'));
      return;
    }
    if (value === '') {
      setError(clientError('Enter one of your recovery codes.', 'code'));
      return;
    }
    await run(async () => {
      await (mode === 'totp' ? verifyMfaTotp(value) : verifyMfaRecovery(value));
      await reload();
    });
  }

  async function choosePasskey(): Promise<void> {
    await run(async () => {
      await signInWithPasskey();
      await reload();
    });
  }

  return (
    <AuthLayout title="Confirm it is you">
      {me !== null && (
        <p>
          Signing in as <strong>{me.user.email}</strong>.
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage error={error} fieldNames={['code']} />
        {mode === 'totp' ? (
          <CodeField
            id="mfa-code"
            label="6-digit code from your authenticator app"
            value={code}
            onChange={setCode}
            testId="mfa-code"
            error={error?.fieldMessage('code')}
          />
        ) : (
          <CodeField
            id="mfa-recovery-code"
            kind="any"
            label="Recovery code"
            hint="Each recovery code works once."
            value={code}
            onChange={setCode}
            testId="mfa-code"
            error={error?.fieldMessage('code')}
          />
        )}
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="mfa-submit">
            {pending ? 'Checking…' : 'Verify'}
          </button>
        </div>
      </form>
      <div className="alternatives">
        <h2>Other ways to confirm</h2>
        <ul className="link-list">
          {mode === 'recovery' && offered.has('totp') && (
            <li>
              <button type="button" className="link-button" onClick={() => switchTo('totp')}>
                Use your authenticator app
              </button>
            </li>
          )}
          {mode === 'totp' && (
            <li>
              <button type="button" className="link-button" onClick={() => switchTo('recovery')} data-testid="use-recovery">
                Use a recovery code
              </button>
            </li>
          )}
          {offered.has('webauthn') && (
            <li>
              <button type="button" className="link-button" onClick={() => void choosePasskey()} disabled={pending} data-testid="use-passkey">
                Use a passkey
              </button>
            </li>
          )}
          <li>
            <button type="button" className="link-button" onClick={() => void signOut()}>
              Cancel and start over
            </button>
          </li>
        </ul>
      </div>
    </AuthLayout>
  );
}
