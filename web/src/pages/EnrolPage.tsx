import { useEffect, useState, type FormEvent } from 'react';
import { completeEnrolment, inspectEnrolment } from '../api/auth';
import type { ApiError } from '../api/errors';
import { toApiError } from '../api/errors';
import type { EnrolmentInfo } from '../api/types';
import { ErrorMessage } from '../components/ErrorMessage';
import { NewPasswordFields, newPasswordProblems } from '../components/NewPasswordFields';
import { useAction } from '../hooks/useAction';
import { AuthLayout } from '../layout/AuthLayout';
import { navigate } from '../router/history';
import { Link } from '../router/Link';
import { paths } from '../router/paths';
import { useSession } from '../session/SessionContext';
import { formatDateTime } from '../format';

/** The token sits in the fragment (`/enrol#token=…`) so that it never reaches a server log. */
function tokenFromHash(): string {
  return new URLSearchParams(window.location.hash.replace(/^#/u, '')).get('token') ?? '';
}

/** `/enrol#token=…`: shows whom the invitation is for and sets the first password. */
export function EnrolPage() {
  const [token] = useState(tokenFromHash);
  const [info, setInfo] = useState<EnrolmentInfo | null>(null);
  const [inspectError, setInspectError] = useState<ApiError | null>(null);
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problems, setProblems] = useState<{ password?: string; confirm?: string }>({});
  const { run, pending, error } = useAction();
  const { reload } = useSession();

  useEffect(() => {
    if (token === '') return;
    let current = true;
    inspectEnrolment(token).then(
      (answer) => current && setInfo(answer),
      (caught: unknown) => current && setInspectError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [token]);

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const found = newPasswordProblems(password, confirmation);
    setProblems(found);
    if (found.password !== undefined || found.confirm !== undefined) return;
    const ok = await run(async () => {
      await completeEnrolment(token, password);
      await reload();
    });
    // The token is spent: leave no history entry that still holds it.
    if (ok) navigate(paths.setupTotp, { replace: true });
  }

  if (token === '' || inspectError !== null) {
    return (
      <AuthLayout title="Enrolment link not valid">
        {inspectError === null ? (
          <p className="alert alert-error" role="alert">
            This enrolment link is incomplete. Open the full link from your invitation.
          </p>
        ) : (
          <ErrorMessage error={inspectError} />
        )}
        <p>Ask your Clarus administrator for a new invitation. Links can be used once and expire.</p>
        <p>
          <Link to={paths.signIn}>Go to sign-in</Link>
        </p>
      </AuthLayout>
    );
  }

  if (info === null) {
    return (
      <AuthLayout title="Set up your account">
        <p role="status">Checking your invitation…</p>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Set up your account">
      <dl className="facts">
        <div>
          <dt>Organisation</dt>
          <dd data-testid="enrol-tenant">{info.tenantName}</dd>
        </div>
        <div>
          <dt>E-mail</dt>
          <dd data-testid="enrol-email">{info.email}</dd>
        </div>
        <div>
          <dt>Invitation expires</dt>
          <dd>{formatDateTime(info.expiresAt)}</dd>
        </div>
      </dl>
      <p className="step">Step 1 of 2: choose a password. Next you will set up an authenticator app.</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage error={error} fieldNames={['password']} />
        <input type="text" name="username" autoComplete="username" value={info.email} readOnly hidden />
        <NewPasswordFields
          idPrefix="enrol"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
          passwordError={problems.password ?? error?.fieldMessage('password')}
          confirmError={problems.confirm}
        />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="enrol-submit">
            {pending ? 'Saving…' : 'Set password and continue'}
          </button>
        </div>
      </form>
    </AuthLayout>
  );
}
