import type { InputHTMLAttributes } from 'react';
import { FieldFrame, fieldControlAria, type FieldProps } from './FieldFrame';

type NativeProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange' | 'children'>;

type TextFieldProps = NativeProps & FieldProps;

/**
 * A labelled input with an optional hint and error message, wired for screen readers
 * (aria-describedby, aria-invalid). A message that starts in lower case, as the server's
 * field messages do ("is too common"), is prefixed with the label.
 */
export function TextField({ id, label, value, onChange, hint, error, testId, type = 'text', name, ...rest }: TextFieldProps) {
  const shown = error !== undefined && /^[a-z]/u.test(error) ? `${label} ${error}` : error;
  return (
    <FieldFrame id={id} label={label} hint={hint} error={shown}>
      <input
        {...rest}
        id={id}
        name={name ?? id}
        type={type}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        {...fieldControlAria(id, hint, error)}
        data-testid={testId}
      />
    </FieldFrame>
  );
}
