import { useState } from 'react';
import { regenerateRecoveryCodes } from '../../api/account';
import { ErrorMessage } from '../../components/ErrorMessage';
import { RecoveryCodes } from '../../components/RecoveryCodes';
import { useAction } from '../../hooks/useAction';

/** Shows how many recovery codes are left and issues a new set (needs step-up). */
export function RecoveryCodesSection({ remaining, onChanged }: { remaining: number; onChanged: () => void }) {
  const [codes, setCodes] = useState<string[] | null>(null);
  const { run, pending, error } = useAction();

  async function regenerate(): Promise<void> {
    await run(async () => {
      const answer = await regenerateRecoveryCodes();
      setCodes(answer.recoveryCodes);
    });
  }

  function saved(): void {
    setCodes(null);
    onChanged();
  }

  return (
    <section className="panel" aria-labelledby="recovery-section-title">
      <h2 id="recovery-section-title">Recovery codes</h2>
      {codes !== null ? (
        <RecoveryCodes codes={codes} onSaved={saved} />
      ) : (
        <>
          <p data-testid="recovery-remaining">
            You have <strong>{remaining}</strong> unused recovery {remaining === 1 ? 'code' : 'codes'}.
          </p>
          <p className="muted">New codes replace all your current ones. You will be asked to confirm with your second factor.</p>
          <ErrorMessage error={error} />
          <div className="actions">
            <button type="button" className="button" onClick={() => void regenerate()} disabled={pending} data-testid="regenerate-recovery-codes">
              {pending ? 'Generating…' : 'Generate new recovery codes'}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
