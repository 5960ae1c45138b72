import { useState } from 'react';

/**
 * Shows freshly issued recovery codes once, with a copy button and an acknowledgement that
 * closes them: the server will never show them again.
 */
export function RecoveryCodes({ codes, onSaved }: { codes: readonly string[]; onSaved: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <section className="recovery" aria-labelledby="recovery-title">
      <h2 id="recovery-title">Your recovery codes</h2>
      <p>
        Each code signs you in once if you lose your authenticator. Store them somewhere safe, such
        as a password manager. <strong>They will not be shown again.</strong>
      </p>
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" className="button" onClick={() => void copy()}>
          Copy codes
        </button>
        <button type="button" className="button primary" onClick={onSaved} data-testid="recovery-codes-saved">
          I have saved these codes
        </button>
      </div>
      <p className="status-line" role="status">
        {copied === 'yes' && 'Codes copied to the clipboard.'}
        {copied === 'failed' && 'Copying is not available here; select the codes and copy them by hand.'}
      </p>
    </section>
  );
}
