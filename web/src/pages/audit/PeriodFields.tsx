import type { ApiError } from '../../api/errors';
import { TextField } from '../../components/TextField';

/** What the period fields mean, shown under the form. */
export const PERIOD_HINT = 'Times are in your time zone; “To” includes the minute chosen. Leave a time empty for no limit.';

/** The two `datetime-local` values of a period, as typed ("" when open-ended). */
export interface PeriodValues {
  from: string;
  to: string;
}

interface PeriodFieldsProps {
  idPrefix: string;
  value: PeriodValues;
  onChange: (value: PeriodValues) => void;
  error: ApiError | null;
}

/** "From" and "To" in the user's time zone; "To" includes the chosen minute (see `PERIOD_HINT`). */
export function PeriodFields({ idPrefix, value, onChange, error }: PeriodFieldsProps) {
  return (
    <>
      <TextField id={`${idPrefix}-from`} label="From" type="datetime-local" value={value.from} testId={`${idPrefix}-from`}
        onChange={(from) => onChange({ ...value, from })} error={error?.fieldMessage('from')} />
      <TextField id={`${idPrefix}-to`} label="To" type="datetime-local" value={value.to} testId={`${idPrefix}-to`}
        onChange={(to) => onChange({ ...value, to })} error={error?.fieldMessage('to')} />
    </>
  );
}
