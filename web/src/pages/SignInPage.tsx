import { useState, type FormEvent } from 'react';
import { login } from '../api/auth';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/TextField';
import { useAction } from '../hooks/useAction';
import { AuthLayout } from '../layout/AuthLayout';
import { useSession } from '../session/SessionContext';

/** `/sign-in`: e-mail and password; the router then moves on to the second factor or TOTP setup. */
export function SignInPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { run, pending, error } = useAction();
  const { notice, clearNotice, setMethods, reload } = useSession();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    await run(async () => {
      const answer = await login(email.trim(), password);
      setMethods(answer.methods);
      clearNotice();
      // The session is now pending (stage mfa or enrol-totp): the router sends us on.
      await reload();
    });
  }

  return (
    <AuthLayout title="Sign in to Clarus">
      {notice === 'expired' && (
        <div className="alert alert-info" role="status" data-testid="session-ended">
          Your session has ended. Sign in again to continue.
        </div>
      )}
      {notice === 'signed-out-everywhere' && (
        <div className="alert alert-info" role="status" data-testid="signed-out-everywhere">
          You have been signed out on all your devices.
        </div>
      )}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage error={error} fieldNames={['email', 'password']} />
        <TextField
          id="email"
          label="E-mail address"
          type="email"
          value={email}
          onChange={setEmail}
          autoComplete="username"
          autoCapitalize="off"
          spellCheck={false}
          required
          testId="email"
          error={error?.fieldMessage('email')}
        />
        <TextField
          id="password"
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
          testId="password"
          error={error?.fieldMessage('password')}
        />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="sign-in">
            {pending ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      <p className="muted">
        New to Clarus? Use the enrolment link from your invitation. Forgotten your password? Ask your
        administrator for a new invitation.
      </p>
    </AuthLayout>
  );
}
