import type { InputHTMLAttributes } from 'react';

type NativeProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange' | 'children'>;

interface TextFieldProps extends NativeProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: string | undefined;
  /** Message for this field (from the API `fields` or from client-side checks). */
  error?: string | undefined;
  testId?: string;
}

/**
 * A labelled input with an optional hint and error message, wired for screen readers
 * (aria-describedby, aria-invalid). A message that starts in lower case, as the server's
 * field messages do ("is too common"), is prefixed with the label.
 */
export function TextField({ id, label, value, onChange, hint, error, testId, type = 'text', name, ...rest }: TextFieldProps) {
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = error === undefined ? undefined : `${id}-error`;
  const describedBy = [hintId, errorId].filter((x) => x !== undefined).join(' ') || undefined;
  const shown = error !== undefined && /^[a-z]/u.test(error) ? `${label} ${error}` : error;
  return (
    <div className={error === undefined ? 'field' : 'field field-invalid'}>
      <label htmlFor={id}>{label}</label>
      {hint !== undefined && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      <input
        {...rest}
        id={id}
        name={name ?? id}
        type={type}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={describedBy}
        data-testid={testId}
      />
      {error !== undefined && (
        <p id={errorId} className="field-error">
          {shown}
        </p>
      )}
    </div>
  );
}
