import { useState, type FormEvent } from 'react';
import type { Patient } from '../../api/patient-types';
import { ErrorMessage } from '../../components/ErrorMessage';
import { SelectField } from '../../components/SelectField';
import { TextAreaField } from '../../components/TextAreaField';
import { TextField } from '../../components/TextField';
import { todayIso } from '../../format';
import { useAction } from '../../hooks/useAction';
import { fieldLabels, fieldProblem, missingFields, patientFieldNames, sexOptions, valuesOf, type PatientField, type PatientFormValues } from './patientFields';

interface PatientFormProps {
  /** The patient being edited; omitted for a new patient. */
  patient?: Patient;
  submitLabel: string;
  pendingLabel: string;
  /** Sends the values; a thrown ApiError is shown, with each field's problem under its input. */
  onSubmit: (values: PatientFormValues, before: PatientFormValues) => Promise<void>;
  onCancel?: () => void;
}

/** The patient demographics form, for creating (POST) and editing (PATCH) alike. */
export function PatientForm({ patient, submitLabel, pendingLabel, onSubmit, onCancel }: PatientFormProps) {
  const [before] = useState(() => valuesOf(patient));
  const [values, setValues] = useState(before);
  const { run, pending, error, setError } = useAction();

  const set = (field: PatientField) => (value: string): void => setValues((v) => ({ ...v, [field]: value }));
  const problem = (field: PatientField): string | undefined => fieldProblem(error, field);

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const missing = missingFields(values);
    if (missing !== null) {
      setError(missing);
      return;
    }
    await run(() => onSubmit(values, before));
  }

  return (
    <form onSubmit={(event) => void submit(event)} noValidate data-testid="patient-form">
      <ErrorMessage error={error} fieldNames={patientFieldNames} />
      <fieldset className="form-section">
        <legend>Patient</legend>
        <div className="form-grid">
          <TextField id="patient-mrn" label={fieldLabels.mrn} value={values.mrn} onChange={set('mrn')} testId="patient-mrn"
            hint="Medical record number, exactly as on the patient’s records." error={problem('mrn')}
            autoComplete="off" spellCheck={false} autoCapitalize="characters" maxLength={64} required />
          <div aria-hidden="true" />
          <TextField id="patient-family" label={fieldLabels.familyName} value={values.familyName} onChange={set('familyName')}
            testId="patient-family" error={problem('familyName')} autoComplete="off" maxLength={100} required />
          <TextField id="patient-given" label={fieldLabels.givenName} value={values.givenName} onChange={set('givenName')}
            testId="patient-given" error={problem('givenName')} autoComplete="off" maxLength={100} required />
          <TextField id="patient-birth" label={fieldLabels.birthDate} type="date" value={values.birthDate} onChange={set('birthDate')}
            testId="patient-birth" error={problem('birthDate')} min="1900-01-01" max={todayIso()} autoComplete="off" required />
          <SelectField id="patient-sex" label={fieldLabels.sex} value={values.sex} onChange={set('sex')} options={sexOptions}
            placeholder="Choose…" testId="patient-sex" error={problem('sex')} required />
        </div>
      </fieldset>
      <fieldset className="form-section">
        <legend>Contact (optional)</legend>
        <div className="form-grid">
          <TextField id="patient-email" label={fieldLabels.email} type="email" value={values.email} onChange={set('email')}
            testId="patient-email" error={problem('email')} hint="For example name@example.org."
            autoComplete="off" spellCheck={false} maxLength={254} />
          <TextField id="patient-phone" label={fieldLabels.phone} type="tel" value={values.phone} onChange={set('phone')}
            testId="patient-phone" error={problem('phone')} hint="International format, for example +441632960000."
            autoComplete="off" inputMode="tel" maxLength={16} />
        </div>
        <TextAreaField id="patient-address" label={fieldLabels.address} value={values.address} onChange={set('address')}
          testId="patient-address" error={problem('address')} autoComplete="off" maxLength={500} />
      </fieldset>
      <div className="actions">
        <button type="submit" className="button primary" disabled={pending} data-testid="patient-submit">
          {pending ? pendingLabel : submitLabel}
        </button>
        {onCancel !== undefined && (
          <button type="button" className="button" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
