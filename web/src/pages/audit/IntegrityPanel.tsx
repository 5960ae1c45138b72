import { useEffect, useState } from 'react';
import { type AuditPublicKey, type AuditStatus, getAuditPublicKey, getAuditStatus } from '../../api/audit';
import { type ApiError, toApiError } from '../../api/errors';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';

const count = (n: number): string => `${n.toLocaleString()} ${n === 1 ? 'entry' : 'entries'}`;

/** The last verification: green when it passed, red (with the problem) when it failed. */
function Verification({ status }: { status: AuditStatus }) {
  const last = status.lastVerification;
  if (last === null) return <span className="badge badge-neutral">Never verified</span>;
  if (last.ok) {
    return (
      <span>
        <span className="badge badge-ok">Passed</span> {formatDateTime(last.at)}, {count(last.treeSize)}
      </span>
    );
  }
  return (
    <span className="integrity-failed" role="alert">
      <span className="badge badge-danger">Failed</span> {formatDateTime(last.at)}, {count(last.treeSize)}
      {last.problem !== null && <span className="integrity-problem">{last.problem}</span>}
    </span>
  );
}

/**
 * The integrity of the audit log, loaded once: its size, the latest signed checkpoint, the last full
 * verification (red when it failed), and the public key that auditors verify checkpoints with.
 */
export function IntegrityPanel() {
  const [status, setStatus] = useState<AuditStatus | null>(null);
  const [key, setKey] = useState<AuditPublicKey | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [showKey, setShowKey] = useState(false);

  useEffect(() => {
    let current = true;
    Promise.all([getAuditStatus(), getAuditPublicKey()]).then(
      ([loaded, publicKey]) => {
        if (!current) return;
        setStatus(loaded);
        setKey(publicKey);
      },
      (caught: unknown) => current && setError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, []);

  const failed = status?.lastVerification?.ok === false;
  return (
    <section className={failed ? 'panel panel-danger' : 'panel'} aria-labelledby="integrity-title" data-testid="integrity-panel">
      <h2 id="integrity-title">Integrity</h2>
      <ErrorMessage error={error} />
      {status === null && error === null && <p role="status">Loading the log’s status…</p>}
      {status !== null && key !== null && (
        <dl className="facts">
          <div>
            <dt>Log size</dt>
            <dd data-testid="audit-tree-size">{count(status.treeSize)}</dd>
          </div>
          <div>
            <dt>Last checkpoint</dt>
            <dd data-testid="audit-checkpoint">
              {status.latestCheckpoint === null
                ? 'No signed checkpoint yet'
                : `${formatDateTime(status.latestCheckpoint.at)}, ${count(status.latestCheckpoint.treeSize)}`}
            </dd>
          </div>
          <div>
            <dt>Last verification</dt>
            <dd data-testid="audit-verification">
              <Verification status={status} />
            </dd>
          </div>
          <div>
            <dt>Signing key</dt>
            <dd>
              <code data-testid="audit-key-id">{key.keyId}</code> <span className="muted">({key.algorithm})</span>{' '}
              <button type="button" className="link-button" aria-expanded={showKey} aria-controls="audit-public-key"
                onClick={() => setShowKey((shown) => !shown)} data-testid="audit-public-key-toggle">
                {showKey ? 'Hide public key' : 'Show public key'}
              </button>
            </dd>
          </div>
        </dl>
      )}
      {key !== null && (
        <pre id="audit-public-key" className="pem" hidden={!showKey} data-testid="audit-public-key">
          {key.publicKeyPem}
        </pre>
      )}
    </section>
  );
}
