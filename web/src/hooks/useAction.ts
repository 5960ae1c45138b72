import { useCallback, useState } from 'react';
import { type ApiError, toApiError } from '../api/errors';

/** Pending and error state of one user action (a form submit, a button). */
export interface Action {
  /** Runs the task; resolves true on success, false after the error was stored. */
  run: (task: () => Promise<unknown>) => Promise<boolean>;
  pending: boolean;
  error: ApiError | null;
  /** Sets or clears the error shown for this action (e.g. after client-side validation). */
  setError: (error: ApiError | null) => void;
}

/**
 * Tracks one action: disables its button while it runs and keeps the API error (message and
 * per-field messages) to display.
 */
export function useAction(): Action {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const run = useCallback(async (task: () => Promise<unknown>): Promise<boolean> => {
    setPending(true);
    setError(null);
    try {
      await task();
      return true;
    } catch (caught) {
      setError(toApiError(caught));
      return false;
    } finally {
      setPending(false);
    }
  }, []);

  return { run, pending, error, setError };
}
