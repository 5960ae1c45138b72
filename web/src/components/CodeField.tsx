import { TextField } from './TextField';

interface CodeFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId: string;
  error?: string | undefined;
  hint?: string | undefined;
  /** 'totp': six digits only; 'any': TOTP or recovery code. */
  kind?: 'totp' | 'any';
}

/** Input for a one-time code, with the keyboard and autofill hints phones and password managers use. */
export function CodeField({ kind = 'totp', ...props }: CodeFieldProps) {
  const totp = kind === 'totp';
  return (
    <TextField
      {...props}
      onChange={(value) => props.onChange(totp ? value.replace(/\D+/gu, '').slice(0, 6) : value)}
      autoComplete="one-time-code"
      inputMode={totp ? 'numeric' : 'text'}
      pattern={totp ? '[0-9]{6}' : undefined}
      maxLength={totp ? 6 : 64}
      spellCheck={false}
      autoCapitalize="off"
      required
    />
  );
}
