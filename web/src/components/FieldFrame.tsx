import type { ReactNode } from 'react';

/** The attributes that tie a field's control to its hint and error message. */
export interface FieldControlAria {
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** `aria-describedby` names `<id>-hint` and `<id>-error` when shown; `aria-invalid` is set only with an error. */
export function fieldControlAria(id: string, hint: string | undefined, error: string | undefined): FieldControlAria {
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = error === undefined ? undefined : `${id}-error`;
  return {
    'aria-invalid': error === undefined ? undefined : true,
    'aria-describedby': [hintId, errorId].filter((x) => x !== undefined).join(' ') || undefined,
  };
}

/** What TextField, TextAreaField and SelectField all take. */
export interface FieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: string | undefined;
  /** Message for this field (from the API `fields` or from client-side checks). */
  error?: string | undefined;
  testId?: string;
}

interface FieldFrameProps {
  /** The control's id: the label points at it, the hint and error take `<id>-hint` and `<id>-error`. */
  id: string;
  label: string;
  hint?: string | undefined;
  /** The message shown under the control; the field is marked invalid when there is one. */
  error?: string | undefined;
  /** The control itself, with the attributes from `fieldControlAria`. */
  children: ReactNode;
}

/** The label, hint and error message around one form control (TextField, TextAreaField, SelectField). */
export function FieldFrame({ id, label, hint, error, children }: FieldFrameProps) {
  return (
    <div className={error === undefined ? 'field' : 'field field-invalid'}>
      <label htmlFor={id}>{label}</label>
      {hint !== undefined && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {children}
      {error !== undefined && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
