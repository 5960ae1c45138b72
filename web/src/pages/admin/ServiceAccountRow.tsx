import { useState } from 'react';
import { revokeApiKey } from '../../api/admin';
import type { ApiKeyInfo, ServiceAccount } from '../../api/patient-types';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';

function keyStatus(key: ApiKeyInfo, now: number): { label: string; tone: string } {
  if (key.revokedAt !== null) return { label: `Revoked ${formatDateTime(key.revokedAt)}`, tone: 'badge-danger' };
  if (new Date(key.expiresAt).getTime() <= now) return { label: `Expired ${formatDateTime(key.expiresAt)}`, tone: 'badge-neutral' };
  return { label: `Active until ${formatDateTime(key.expiresAt)}`, tone: 'badge-ok' };
}

/** One key: status, last use, and revoke behind a second click (the server asks for step-up). */
function KeyItem({ account, keyInfo, onChanged }: { account: ServiceAccount; keyInfo: ApiKeyInfo; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const { run, pending, error } = useAction();
  const status = keyStatus(keyInfo, Date.now());
  const active = keyInfo.revokedAt === null && status.tone === 'badge-ok';

  async function revoke(): Promise<void> {
    if (await run(() => revokeApiKey(keyInfo.id))) onChanged();
  }

  return (
    <li data-testid="api-key-item" data-key-id={keyInfo.id}>
      <span>
        <span className={`badge ${status.tone}`}>{status.label}</span>
        <span className="muted"> · created {formatDateTime(keyInfo.createdAt)}</span>
        <span className="muted"> · {keyInfo.lastUsedAt === null ? 'never used' : `last used ${formatDateTime(keyInfo.lastUsedAt)}`}</span>
        <ErrorMessage error={error} />
      </span>
      {active && !confirming && (
        <button type="button" className="button button-small danger" onClick={() => setConfirming(true)}
          aria-label={`Revoke the key of ${account.name}`} data-testid="revoke-key">
          Revoke
        </button>
      )}
      {active && confirming && (
        <span className="row-actions">
          <button type="button" className="button button-small danger" onClick={() => void revoke()} disabled={pending} data-testid="revoke-key-confirm">
            {pending ? 'Revoking…' : 'Yes, revoke now'}
          </button>
          <button type="button" className="button button-small" onClick={() => setConfirming(false)} disabled={pending}>
            Keep
          </button>
        </span>
      )}
    </li>
  );
}

/** One service account in the table, with its keys. */
export function ServiceAccountRow({ account, onChanged }: { account: ServiceAccount; onChanged: () => void }) {
  return (
    <tr data-testid="service-account-row" data-name={account.name}>
      <td>{account.name}</td>
      <td>{account.role}</td>
      <td>
        {account.patientIds === null ? (
          'All the role reaches'
        ) : (
          <ul className="id-list">
            {account.patientIds.map((id) => (
              <li key={id}>
                <code>{id}</code>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>{formatDateTime(account.createdAt)}</td>
      <td>
        {account.keys.length === 0 ? (
          'No keys'
        ) : (
          <ul className="item-list key-list">
            {account.keys.map((key) => (
              <KeyItem key={key.id} account={account} keyInfo={key} onChanged={onChanged} />
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}
