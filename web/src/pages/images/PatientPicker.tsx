import { useState } from 'react';
import type { PatientView } from '../../api/patient-types';
import { ErrorMessage } from '../../components/ErrorMessage';
import { SelectField } from '../../components/SelectField';
import { TextField } from '../../components/TextField';
import { useAction } from '../../hooks/useAction';
import { readSearch, runSearch } from '../patients/patientSearch';

function label(view: PatientView): string {
  return `${view.patient.familyName}, ${view.patient.givenName} — MRN ${view.patient.mrn}`;
}

/**
 * Finds a patient with the patients page's search (a name prefix or a whole MRN, sent in a POST
 * body) and lets the user choose one of the results; `onChoose` gets the id, or '' when none.
 */
export function PatientPicker({ id, value, onChoose }: { id: string; value: string; onChoose: (patientId: string) => void }) {
  const [text, setText] = useState('');
  const [found, setFound] = useState<PatientView[] | null>(null);
  const { run, pending, error } = useAction();

  async function search(): Promise<void> {
    await run(async () => {
      const { criteria } = readSearch(text);
      const { patients } = await runSearch(criteria);
      setFound(patients);
      onChoose(patients.length === 1 ? (patients[0]?.patient.id ?? '') : '');
    });
  }

  return (
    <div className="patient-picker">
      <div className="search-form">
        <TextField id={`${id}-search`} label="Find the patient" value={text} onChange={setText} testId={`${id}-search`} type="search"
          hint="The start of a family or given name, or a whole MRN." autoComplete="off" spellCheck={false} maxLength={100}
          error={error?.fieldMessage('search')}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              void search();
            }
          }} />
        <button type="button" className="button" disabled={pending} onClick={() => void search()} data-testid={`${id}-search-submit`}>
          {pending ? 'Searching…' : 'Search'}
        </button>
      </div>
      <ErrorMessage error={error} fieldNames={['search']} />
      {found !== null && (
        <SelectField id={`${id}-patient`} label="Patient" value={value} onChange={onChoose} testId={`${id}-patient`}
          options={found.map((view) => ({ value: view.patient.id, label: label(view) }))}
          placeholder={found.length === 0 ? 'No patient found' : 'Choose…'} disabled={found.length === 0} required />
      )}
    </div>
  );
}
