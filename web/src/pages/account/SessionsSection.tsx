import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useSession } from '../../session/SessionContext';

/** Session facts and "Sign out everywhere" (ends every session of the user, this one included). */
export function SessionsSection({ idleMinutes, absoluteExpiresAt }: { idleMinutes: number; absoluteExpiresAt: string }) {
  const { signOut } = useSession();
  const { run, pending, error } = useAction();

  return (
    <section className="panel" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p>
        You are signed out after {idleMinutes} {idleMinutes === 1 ? 'minute' : 'minutes'} without activity, and at the
        latest at {formatDateTime(absoluteExpiresAt)}.
      </p>
      <p className="muted">If you left Clarus open on another computer, or think someone else used your account, sign out everywhere.</p>
      <ErrorMessage error={error} />
      <div className="actions">
        <button
          type="button"
          className="button danger"
          onClick={() => void run(() => signOut({ everywhere: true }))}
          disabled={pending}
          data-testid="sign-out-everywhere"
        >
          Sign out everywhere
        </button>
      </div>
    </section>
  );
}
