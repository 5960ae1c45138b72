import { useRef, useState } from 'react';

/** A read-only, labelled text field with a Copy button, for values shown only once. */
export function CopyField({ id, label, value, testId }: { id: string; label: string; value: string; testId?: string }) {
  const ref = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState('');

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(value);
      setStatus('Copied to the clipboard.');
    } catch {
      ref.current?.select();
      setStatus('Press Ctrl+C (or ⌘C) to copy the selected text.');
    }
  }

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-field">
        <input
          ref={ref}
          id={id}
          type="text"
          readOnly
          value={value}
          onFocus={(event) => event.target.select()}
          data-testid={testId}
          spellCheck={false}
        />
        <button type="button" className="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="status-line" role="status">
        {status}
      </p>
    </div>
  );
}
