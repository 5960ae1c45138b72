import { useEffect, useState, type ReactNode } from 'react';
import { configureClient } from '../api/client';
import { StepUpDialog } from '../components/StepUpDialog';
import { useSession } from './SessionContext';

/**
 * Answers every 403 CLARUS_ERR_STEP_UP_REQUIRED in the app, once: it opens the step-up dialog and
 * tells the API client whether to retry the original call.
 */
export function StepUpProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<((ok: boolean) => void) | null>(null);
  const { state } = useSession();
  const signedIn = state.status === 'signed-in';

  useEffect(() => {
    configureClient({
      stepUp: () => new Promise<boolean>((resolve) => setPending(() => resolve)),
    });
    return () => configureClient({ stepUp: undefined });
  }, []);

  function finish(ok: boolean): void {
    pending?.(ok);
    setPending(null);
  }

  // A session that ends while the dialog is open cancels the step-up.
  useEffect(() => {
    if (!signedIn && pending !== null) {
      pending(false);
      setPending(null);
    }
  }, [signedIn, pending]);

  return (
    <>
      {children}
      {pending !== null && <StepUpDialog onDone={finish} />}
    </>
  );
}
