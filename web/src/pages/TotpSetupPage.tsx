import { useEffect, useRef, useState, type FormEvent } from 'react';
import { confirmTotp, setupTotp } from '../api/auth';
import { type ApiError, clientError, toApiError } from '../api/errors';
import type { TotpSetup } from '../api/types';
import { CodeField } from '../components/CodeField';
import { ErrorMessage } from '../components/ErrorMessage';
import { QrCode } from '../components/QrCode';
import { RecoveryCodes } from '../components/RecoveryCodes';
import { useAction } from '../hooks/useAction';
import { AuthLayout } from '../layout/AuthLayout';
import { useSession } from '../session/SessionContext';

/**
 * Stage enrol-totp: shows a new authenticator secret (QR and text), confirms it with a first
 * code, then shows the recovery codes once. The session is reloaded (and so becomes full in the
 * app) only after the user says the codes are saved.
 */
export function TotpSetupPage() {
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [setupError, setSetupError] = useState<ApiError | null>(null);
  const [code, setCode] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const { run, pending, error, setError } = useAction();
  const { reload, signOut } = useSession();
  const started = useRef(false);

  function start(): void {
    setSetupError(null);
    setupTotp().then(setSetup, (caught: unknown) => setSetupError(toApiError(caught)));
  }

  // One secret per visit: a second call would replace the one already scanned.
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    start();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (!/^\d{6}$/u.test(code)) {
      setError(clientError('Enter the 6-digit code from your authenticator app.', 'code'));
      return;
    }
    await run(async () => {
      const answer = await confirmTotp(code);
      setRecoveryCodes(answer.recoveryCodes);
    });
  }

  if (recoveryCodes !== null) {
    return (
      <AuthLayout title="Save your recovery codes" wide>
        <RecoveryCodes codes={recoveryCodes} onSaved={() => void reload()} />
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Set up your authenticator" wide>
      <p className="step">
        Clarus asks for a second factor at every sign-in. Use an authenticator app such as the one
        built into your password manager, Microsoft Authenticator or Google Authenticator.
      </p>
      {setupError !== null && (
        <>
          <ErrorMessage error={setupError} />
          <div className="actions">
            <button type="button" className="button" onClick={start}>
              Try again
            </button>
            <button type="button" className="button" onClick={() => void signOut()}>
              Start over
            </button>
          </div>
        </>
      )}
      {setup === null && setupError === null && <p role="status">Preparing your authenticator secret…</p>}
      {setup !== null && (
        <>
          <div className="totp-setup">
            <QrCode text={setup.otpauthUri} label="QR code for your authenticator app" />
            <div>
              <h2>1. Scan the QR code</h2>
              <p>Or, if you cannot scan, type this key into the app:</p>
              <p>
                <code className="secret" data-testid="totp-secret">
                  {setup.secret}
                </code>
              </p>
            </div>
          </div>
          <form onSubmit={(event) => void submit(event)} noValidate>
            <h2>2. Enter the code the app shows</h2>
            <ErrorMessage error={error} fieldNames={['code']} />
            <CodeField
              id="totp-code"
              label="6-digit code"
              value={code}
              onChange={setCode}
              testId="totp-code"
              error={error?.fieldMessage('code')}
            />
            <div className="actions">
              <button type="submit" className="button primary" disabled={pending} data-testid="totp-confirm">
                {pending ? 'Checking…' : 'Confirm'}
              </button>
            </div>
          </form>
        </>
      )}
    </AuthLayout>
  );
}
