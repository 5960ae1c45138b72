import { useEffect, useRef, useState, type FormEvent } from 'react';
import { toApiError } from '../../api/errors';
import type { PatientView } from '../../api/patient-types';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextField } from '../../components/TextField';
import { useAction } from '../../hooks/useAction';
import { AppShell } from '../../layout/AppShell';
import { useCan } from '../../permissions';
import { Link } from '../../router/Link';
import { paths } from '../../router/paths';
import { clearPatientsNotice, peekPatientsNotice } from './patientsNotice';
import { describeSearch, PAGE_SIZE, readSearch, runSearch, type SearchMode } from './patientSearch';
import { PatientsTable } from './PatientsTable';

interface Results {
  mode: SearchMode;
  term: string;
  patients: PatientView[];
  truncated: boolean;
}

/**
 * `/patients`: the patients the user can see, with one search box for a name prefix or an MRN. The
 * search text stays in this page's memory: it is sent in a POST body, never put in the URL.
 */
export function PatientsPage() {
  const can = useCan();
  const [text, setText] = useState('');
  const [results, setResults] = useState<Results | null>(null);
  const { run, pending, error, setError } = useAction();
  // A message left by the page that sent the user here (an erasure), shown once and focused so that it is read out.
  const [notice] = useState(peekPatientsNotice);
  const noticeRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    clearPatientsNotice();
    noticeRef.current?.focus();
  }, []);

  async function search(term: string): Promise<void> {
    await run(async () => {
      const { mode, criteria } = readSearch(term);
      const found = await runSearch(criteria);
      setResults({ mode, term: term.trim(), ...found });
    });
  }

  // The first view lists the patients the user can see (for a Clinician: their care teams).
  useEffect(() => {
    runSearch([{}]).then(
      (found) => setResults({ mode: 'all', term: '', ...found }),
      (caught: unknown) => setError(toApiError(caught)),
    );
  }, [setError]);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    void search(text);
  }

  return (
    <AppShell title="Patients">
      <div className="page-head">
        <h1>Patients</h1>
        {can('patients.create') && (
          <Link to={paths.newPatient} className="button primary" data-testid="new-patient">
            New patient
          </Link>
        )}
      </div>
      {notice !== null && (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1} data-testid="patients-notice">
          {notice}
        </p>
      )}
      <section className="panel" aria-labelledby="patients-search-title">
        <h2 id="patients-search-title" className="visually-hidden">
          Search
        </h2>
        <form className="search-form" role="search" onSubmit={submit} noValidate>
          <TextField id="patient-search" label="Name or MRN" value={text} onChange={setText} testId="patient-search" type="search"
            hint="The start of a family or given name, or a whole MRN. Leave empty to list every patient you can see."
            autoComplete="off" spellCheck={false} maxLength={100} error={error?.fieldMessage('search')} />
          <button type="submit" className="button primary" disabled={pending} data-testid="patient-search-submit">
            {pending ? 'Searching…' : 'Search'}
          </button>
        </form>
        <ErrorMessage error={error} fieldNames={['search']} />
        {results === null && error === null && <p role="status">Loading patients…</p>}
        {results !== null && (
          <>
            <p role="status" className="muted" data-testid="patients-summary">
              {describeSearch(results.mode, results.term, results.patients.length)}
              {results.truncated && ` Only the first ${PAGE_SIZE} of each search are shown: refine the search to find others.`}
            </p>
            {results.patients.length > 0 && <PatientsTable patients={results.patients} />}
          </>
        )}
      </section>
    </AppShell>
  );
}
