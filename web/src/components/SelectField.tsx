import { FieldFrame, fieldControlAria, type FieldProps } from './FieldFrame';

/** One choice of a SelectField. */
export interface SelectOption {
  value: string;
  label: string;
}

interface SelectFieldProps extends FieldProps {
  options: readonly SelectOption[];
  /** Text of an empty first choice ("Choose…"); omitted means no empty choice. */
  placeholder?: string;
  required?: boolean;
  disabled?: boolean;
}

/** A labelled <select> with hint and error message, wired like TextField for screen readers. */
export function SelectField({ id, label, value, onChange, options, placeholder, hint, error, testId, required, disabled }: SelectFieldProps) {
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <select
        id={id}
        name={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        {...fieldControlAria(id, hint, error)}
        data-testid={testId}
        required={required}
        disabled={disabled}
      >
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}
