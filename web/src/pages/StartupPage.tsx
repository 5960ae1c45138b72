import type { ApiError } from '../api/errors';
import { ErrorMessage } from '../components/ErrorMessage';
import { AuthLayout } from '../layout/AuthLayout';

/** Shown while GET /api/auth/me decides where to go, or when the server could not be asked. */
export function StartupPage({ state }: { state: { status: 'loading' } | { status: 'error'; error: ApiError } }) {
  if (state.status === 'loading') {
    return (
      <div className="startup" role="status" aria-live="polite">
        Loading Clarus…
      </div>
    );
  }
  return (
    <AuthLayout title="Clarus is not available">
      <ErrorMessage error={state.error} />
      <div className="actions">
        <button type="button" className="button primary" onClick={() => window.location.reload()}>
          Try again
        </button>
      </div>
    </AuthLayout>
  );
}
