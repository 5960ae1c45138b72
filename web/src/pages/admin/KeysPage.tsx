import { useEffect, useState } from 'react';
import { getKeyStatus, rotateKeys, type KeyStatus } from '../../api/keys';
import { AdminOnly } from '../../components/AdminOnly';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useAction } from '../../hooks/useAction';
import { useLoaded } from '../../hooks/useLoaded';
import { useCan } from '../../permissions';
import { activeKekVersion, rotationProgress, type RotationProgress } from './keyRotation';
import { KeysTable } from './KeysTable';
import { usePolling } from '../../hooks/usePolling';

/** How often the page asks how far a rotation has come. */
const POLL_MS = 1000;

const providerLabels: Record<string, string> = {
  local: 'Local root key (a secret from the environment or a file)',
  pkcs11: 'Hardware security module (PKCS#11)',
};

/** `/admin/keys` (Administrator): the key hierarchy's status, and rotation of the key-encryption key. */
export function KeysPage() {
  return (
    <AdminOnly title="Encryption keys" permission="keys.read">
      <Keys />
    </AdminOnly>
  );
}

function Keys() {
  const can = useCan();
  const { value: status, setValue: setStatus, error, load } = useLoaded(getKeyStatus);
  const rotation = useAction();
  /** Set once a rotation started from this page, so that its end is reported. */
  const [started, setStarted] = useState(false);
  const progress = status === null ? null : rotationProgress(status);
  const rotating = progress !== null;

  useEffect(() => {
    void load();
  }, [load]);

  usePolling(rotating, load, POLL_MS);

  async function rotate(): Promise<void> {
    setStarted(false);
    // A 403 step-up answer opens the shared step-up dialog; the client retries once it succeeds.
    if (await rotation.run(async () => setStatus(await rotateKeys()))) setStarted(true);
  }

  if (status === null) {
    return error === null ? <p role="status">Loading the key status…</p> : <ErrorMessage error={error} />;
  }
  return (
    <>
      <p className="lead">
        Each patient’s data is encrypted with the patient’s own key. Those patient keys are wrapped (encrypted) by the
        organisation’s key-encryption key, which is protected by the root key.
      </p>
      <ErrorMessage error={error} />
      <section className="panel" aria-labelledby="root-key-title">
        <h2 id="root-key-title">Root key</h2>
        <dl className="facts">
          <div>
            <dt>Provider</dt>
            <dd data-testid="key-provider">{providerLabels[status.provider] ?? status.provider}</dd>
          </div>
          <div>
            <dt>Root key id</dt>
            <dd>
              <code data-testid="root-key-id">{status.rootKeyId}</code>
            </dd>
          </div>
          <div>
            <dt>Rotation period</dt>
            <dd data-testid="rotation-days">Every {status.rotationDays} days</dd>
          </div>
        </dl>
      </section>
      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <KeysTable keys={status.keys} />
      </section>
      <section className="panel" aria-labelledby="rotation-title">
        <h2 id="rotation-title">Rotation</h2>
        <p data-testid="rotation-explanation">
          Rotation re-wraps every patient key under a new key-encryption key; no data is re-encrypted, and nothing becomes
          unreadable if it is interrupted.
        </p>
        <ErrorMessage error={rotation.error} />
        {can('keys.manage') && (
          <div className="actions">
            <button type="button" className="button primary" onClick={() => void rotate()} disabled={rotation.pending || rotating}
              data-testid="rotate-keys">
              {rotation.pending ? 'Starting…' : rotating ? 'Rotating…' : 'Rotate now'}
            </button>
          </div>
        )}
        {progress !== null && <Progress progress={progress} />}
        <div role="status" className="status-line rotation-status">
          {rotating && started && 'Rotation started: patient keys are being re-wrapped.'}
          {!rotating && started && <RotationDone status={status} />}
        </div>
      </section>
    </>
  );
}

/** The share of patient keys already under the new key-encryption key. */
function Progress({ progress }: { progress: RotationProgress }) {
  return (
    <div className="rotation-progress" data-testid="rotation-progress">
      <label htmlFor="rotation-progress-bar">Re-wrapping patient keys</label>
      <progress id="rotation-progress-bar" max={100} value={progress.percent} data-testid="rotation-progress-bar">
        {progress.percent}%
      </progress>
      <p className="muted" data-testid="rotation-progress-text">
        {progress.done} of {progress.total} patient keys re-wrapped ({progress.percent}%). The rotation continues on the server
        if you leave this page.
      </p>
    </div>
  );
}

function RotationDone({ status }: { status: KeyStatus }) {
  const version = activeKekVersion(status);
  return (
    <p className="alert alert-success" data-testid="rotation-done">
      Rotation complete. Every patient key is now wrapped by key-encryption key version {version ?? '?'}; the previous
      version is retired and its key material destroyed.
    </p>
  );
}
