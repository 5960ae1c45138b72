import { useEffect, useState, type FormEvent } from 'react';
import { deletePasskey, listPasskeys } from '../../api/account';
import type { Passkey } from '../../api/types';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextField } from '../../components/TextField';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useLoaded } from '../../hooks/useLoaded';
import { addPasskey } from '../../passkeys';

/** Lists the user's passkeys, adds one (WebAuthn registration) and removes one (step-up). */
export function PasskeysSection({ onChanged }: { onChanged: () => void }) {
  const { value: passkeys, error: loadError, load } = useLoaded(listPasskeys);
  const [name, setName] = useState('');
  const { run, pending, error } = useAction();

  useEffect(() => {
    void load();
  }, [load]);

  async function add(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const ok = await run(() => addPasskey(name.trim() || 'Passkey'));
    if (ok) {
      setName('');
      await load();
      onChanged();
    }
  }

  async function remove(passkey: Passkey): Promise<void> {
    const ok = await run(() => deletePasskey(passkey.id));
    if (ok) {
      await load();
      onChanged();
    }
  }

  return (
    <section className="panel" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted">
        A passkey lets you confirm your sign-in with your device&apos;s fingerprint, face or PIN, or a
        security key, instead of typing a code.
      </p>
      <ErrorMessage error={loadError ?? error} fieldNames={['name']} />
      {passkeys === null && loadError === null && <p role="status">Loading passkeys…</p>}
      {passkeys !== null && passkeys.length === 0 && <p>You have no passkeys yet.</p>}
      {passkeys !== null && passkeys.length > 0 && (
        <ul className="item-list" data-testid="passkeys">
          {passkeys.map((passkey) => (
            <li key={passkey.id}>
              <span>
                <strong>{passkey.name}</strong>
                <span className="muted"> · added {formatDateTime(passkey.createdAt)}</span>
              </span>
              <button
                type="button"
                className="button button-small"
                onClick={() => void remove(passkey)}
                disabled={pending}
                aria-label={`Remove passkey ${passkey.name}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(event) => void add(event)} className="inline-form" noValidate>
        <TextField
          id="passkey-name"
          label="Name for the new passkey"
          hint="For example, the device it lives on: “Work laptop”."
          value={name}
          onChange={setName}
          maxLength={64}
          autoComplete="off"
          testId="passkey-name"
          error={error?.fieldMessage('name')}
        />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="add-passkey">
            {pending ? 'Waiting for your device…' : 'Add a passkey'}
          </button>
        </div>
      </form>
    </section>
  );
}
