import { useEffect, useState, type FormEvent } from 'react';
import { clientError } from '../../api/errors';
import { createExport, getExportOptions, preflightExport, type ExportRequest, type Preflight, type ResearchExport } from '../../api/research';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextAreaField } from '../../components/TextAreaField';
import { useAction } from '../../hooks/useAction';
import { useLoaded } from '../../hooks/useLoaded';
import { Link } from '../../router/Link';
import { patientPath, paths } from '../../router/paths';
import { useMe } from '../../session/SessionContext';
import { clearDraft, updateDraft, useExportDraft } from './exportDraft';
import { PreflightResult } from './PreflightResult';
import { explainExportError } from './researchFormat';

/** The API's limits (docs/api-research.md). */
const MAX_STUDIES = 200;
const PURPOSE_MIN = 3;
const PURPOSE_MAX = 200;

/**
 * A new research export: the studies picked on patients' pages, a purpose (never patient
 * information: it goes into the audit log and the manifest) and the PS3.15 options. "Check" asks the
 * server what would stop the export (consent, images held for pixel review); "Start export" is
 * offered once a check of exactly this request found it ready, and needs step-up (the shared dialog
 * opens on the server's answer).
 */
export function NewExportForm({ onCreated }: { onCreated: (created: ResearchExport) => void }) {
  const me = useMe();
  const owner = me.user.id;
  const draft = useExportDraft(owner);
  const options = useLoaded(getExportOptions);
  const checking = useAction();
  const starting = useAction();
  /** The last check, and the request it was for: a changed request needs a new check. */
  const [checked, setChecked] = useState<{ key: string; result: Preflight } | null>(null);
  const [started, setStarted] = useState(false);
  const { load: loadOptions } = options;

  useEffect(() => {
    void loadOptions();
  }, [loadOptions]);

  const request: ExportRequest = { studyIds: draft.studies.map((s) => s.studyId), purpose: draft.purpose.trim(), options: [...draft.options] };
  const key = JSON.stringify(request);
  const current = checked?.key === key ? checked.result : null;

  function problem(): string | null {
    if (request.studyIds.length === 0) return 'Select at least one study on a patient’s page first.';
    if (request.studyIds.length > MAX_STUDIES) return `An export holds at most ${MAX_STUDIES} studies.`;
    if (request.purpose.length < PURPOSE_MIN || request.purpose.length > PURPOSE_MAX) {
      return `Describe the purpose in ${PURPOSE_MIN} to ${PURPOSE_MAX} characters.`;
    }
    return null;
  }

  async function check(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    setStarted(false);
    const found = problem();
    if (found !== null) {
      checking.setError(clientError(found, found.startsWith('Describe') ? 'purpose' : undefined));
      return;
    }
    await checking.run(async () => setChecked({ key, result: await preflightExport(request) }));
  }

  async function start(): Promise<void> {
    setStarted(false);
    // A 403 step-up answer opens the shared step-up dialog; the client retries once it succeeds.
    const ok = await starting.run(async () => onCreated(await createExport(request)));
    if (ok) {
      setChecked(null);
      setStarted(true);
      clearDraft();
    }
  }

  function toggleOption(name: string, on: boolean): void {
    updateDraft(owner, { options: on ? [...draft.options.filter((o) => o !== name), name] : draft.options.filter((o) => o !== name) });
  }

  return (
    <section className="panel" aria-labelledby="new-export-title" data-testid="new-export">
      <h2 id="new-export-title">New export</h2>
      <form onSubmit={(event) => void check(event)} noValidate>
        <fieldset className="checkboxes">
          <legend>Studies ({draft.studies.length})</legend>
          {draft.studies.length === 0 ? (
            <p data-testid="no-studies-selected">
              No study selected. Open a patient from <Link to={paths.patients}>Patients</Link>, tick the studies to export in the
              Studies section, and come back here.
            </p>
          ) : (
            <ul className="item-list" data-testid="selected-studies">
              {draft.studies.map((study) => (
                <li key={study.studyId} data-testid="selected-study" data-study-id={study.studyId}>
                  <span>
                    <Link to={patientPath(study.patientId)}>{study.patientName ?? 'Patient'}</Link>
                    <span className="muted"> · {study.label}</span>
                  </span>
                  <button type="button" className="button button-small" aria-label={`Remove ${study.label} from the export`}
                    onClick={() => updateDraft(owner, { studies: draft.studies.filter((s) => s.studyId !== study.studyId) })}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        <TextAreaField id="purpose" label="Purpose" value={draft.purpose} onChange={(purpose) => updateDraft(owner, { purpose })}
          hint="What the data is for, e.g. a study or protocol name. Do not write patient names, identifiers or dates: the purpose is kept in the audit log and in the export’s manifest."
          maxLength={PURPOSE_MAX} rows={2} required testId="export-purpose" error={checking.error?.fieldMessage('purpose')} />
        <fieldset className="checkboxes" data-testid="export-options">
          <legend>De-identification options (DICOM PS3.15)</legend>
          <p className="hint">The Basic Application Level Confidentiality Profile always applies; options keep more information.</p>
          <ErrorMessage error={options.error} />
          {options.value === null && options.error === null && <p role="status">Loading the options…</p>}
          {options.value?.map((option) => (
            <div key={option.name} className="check-field">
              <input type="checkbox" id={`option-${option.name}`} checked={draft.options.includes(option.name)} disabled={!option.allowed}
                onChange={(event) => toggleOption(option.name, event.target.checked)} aria-describedby={`option-${option.name}-meaning`}
                data-testid="export-option" data-option={option.name} />
              <label htmlFor={`option-${option.name}`}>{option.meaning}</label>
              <p id={`option-${option.name}-meaning`} className="hint">
                <code>{option.name}</code>
                {!option.allowed && <span className="option-why" data-testid="option-why"> Not available: {option.why ?? 'a Safe Harbor export cannot use it'}.</span>}
              </p>
            </div>
          ))}
        </fieldset>
        <ErrorMessage error={explainExportError(checking.error)} fieldNames={['purpose']} />
        <div className="actions">
          <button type="submit" className="button" disabled={checking.pending || starting.pending} data-testid="export-check">
            {checking.pending ? 'Checking…' : 'Check'}
          </button>
          <button type="button" className="button primary" disabled={current?.ready !== true || starting.pending}
            onClick={() => void start()} data-testid="export-start" aria-describedby="export-start-hint">
            {starting.pending ? 'Starting…' : 'Start export'}
          </button>
        </div>
        <p id="export-start-hint" className="hint">
          Start is possible once a check of this selection finds it ready; it asks for your second factor.
        </p>
      </form>
      {current !== null && <PreflightResult result={current} studies={draft.studies} />}
      <ErrorMessage error={explainExportError(starting.error)} />
      <div role="status" className="status-line">
        {started && <p className="alert alert-success" data-testid="export-started">Export started: it is built in the background, see below.</p>}
      </div>
    </section>
  );
}
