import type { InputHTMLAttributes } from 'react';
import { fieldControlAria } from '../../components/FieldFrame';

/** The DOM id of the control for a request path (`pixelPolicy.masks.0.rows` → `deid-pixelPolicy-masks-0-rows`). */
export function fieldId(path: string): string {
  return `deid-${path.replaceAll('.', '-')}`;
}

type NativeProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange' | 'children'>;

/**
 * A small labelled input of a repeated row (a device model, a rectangle). The visible label is short
 * ("Model", "x"); `context` ("Device model 2") is read before it by screen readers, so that every
 * control of the page has a name of its own.
 */
export function RowField({ path, label, context, value, onChange, error, testId, className, ...rest }: NativeProps & {
  path: string;
  label: string;
  context: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
  testId?: string;
}) {
  const id = fieldId(path);
  return (
    <div className={`row-field${error === undefined ? '' : ' field-invalid'}${className === undefined ? '' : ` ${className}`}`}>
      <label htmlFor={id}>
        <span className="visually-hidden">{context}: </span>
        {label}
      </label>
      <input {...rest} id={id} name={id} value={value} onChange={(event) => onChange(event.target.value)}
        {...fieldControlAria(id, undefined, error)} data-testid={testId} />
      {error !== undefined && (
        <p id={`${id}-error`} className="field-error" data-testid={testId === undefined ? undefined : `${testId}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The attributes of a whole-number input. */
export const numberInput = { type: 'text', inputMode: 'numeric', pattern: '[0-9]*', autoComplete: 'off', spellCheck: false } as const;

/** A list-level problem (too many rows, no rectangle), announced where the list is. */
export function ListError({ path, error }: { path: string; error: string | undefined }) {
  if (error === undefined) return null;
  return (
    <p id={`${fieldId(path)}-error`} className="field-error" role="alert">
      {error}
    </p>
  );
}
