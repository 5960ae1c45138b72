import type { TextareaHTMLAttributes } from 'react';
import { FieldFrame, fieldControlAria, type FieldProps } from './FieldFrame';

type NativeProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'value' | 'onChange' | 'children'>;

type TextAreaFieldProps = NativeProps & FieldProps;

/** A labelled multi-line input with hint and error message, wired like TextField. */
export function TextAreaField({ id, label, value, onChange, hint, error, testId, rows = 3, ...rest }: TextAreaFieldProps) {
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <textarea
        {...rest}
        id={id}
        name={id}
        rows={rows}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        {...fieldControlAria(id, hint, error)}
        data-testid={testId}
      />
    </FieldFrame>
  );
}
