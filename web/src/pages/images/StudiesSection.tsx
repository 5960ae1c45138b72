import { useEffect, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import { listStudies, type StudySummary } from '../../api/images';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Link } from '../../router/Link';
import { patientUploadPath } from '../../router/imagePaths';
import { paths } from '../../router/paths';
import { useMe } from '../../session/SessionContext';
import { toggleStudy, useExportDraft } from '../research/exportDraft';
import { SeriesCard } from './SeriesCard';
import { studyDate } from './studyFormat';

/** Date, description and modalities of a study, as one line. */
function studyLabel(study: StudySummary): string {
  const label = [studyDate(study.studyDate) ?? 'No date', study.description ?? 'No description'].join(' · ');
  return study.modalities.length > 0 ? `${label} (${study.modalities.join(', ')})` : label;
}

/**
 * The patient's studies (date, description, modalities) with a card per series that opens the viewer.
 * With `canExport`, each study has a checkbox that adds it to the research export being prepared
 * (kept in memory across patients' pages) and a button leads to the export page.
 */
export function StudiesSection({ patientId, canUpload, canExport = false, patientName = null }: {
  patientId: string;
  canUpload: boolean;
  canExport?: boolean;
  /** Shown next to the study on the export page. */
  patientName?: string | null;
}) {
  const [studies, setStudies] = useState<StudySummary[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const me = useMe();
  const draft = useExportDraft(me.user.id);
  const picked = new Set(draft.studies.map((s) => s.studyId));

  useEffect(() => {
    let current = true;
    listStudies(patientId).then(
      (found) => current && setStudies(found),
      (caught: unknown) => current && setError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [patientId]);

  return (
    <section className="panel" aria-labelledby="studies-title" data-testid="studies-section">
      <div className="page-head">
        <h2 id="studies-title">Studies</h2>
        {canExport && (
          <Link to={paths.researchExports} className="button studies-export" data-testid="export-deidentified"
            aria-describedby="export-selection-count">
            Export de-identified…
          </Link>
        )}
        {canUpload && (
          <Link to={patientUploadPath(patientId)} className="button" data-testid="upload-images">
            Upload images
          </Link>
        )}
      </div>
      <ErrorMessage error={error} />
      {studies === null && error === null && <p role="status">Loading the studies…</p>}
      {studies !== null && studies.length === 0 && <p data-testid="studies-empty">No images yet.</p>}
      {canExport && studies !== null && studies.length > 0 && (
        <p className="muted" id="export-selection-count" data-testid="export-selection-count">
          {draft.studies.length === 0
            ? 'Tick studies to export them de-identified for research.'
            : `${draft.studies.length} ${draft.studies.length === 1 ? 'study' : 'studies'} selected for a research export (from all patients).`}
        </p>
      )}
      {studies !== null && studies.length > 0 && (
        <ul className="study-list">
          {studies.map((study) => (
            <li key={study.id} className="study" data-testid="study">
              <h3 className="study-title">
                {canExport && (
                  <input type="checkbox" className="study-pick" checked={picked.has(study.id)} data-testid="study-pick"
                    aria-label={`Select for research export: ${studyLabel(study)}`}
                    onChange={(event) => toggleStudy(me.user.id, { studyId: study.id, patientId, patientName, label: studyLabel(study) }, event.target.checked)} />
                )}
                {[studyDate(study.studyDate) ?? 'No date', study.description ?? 'No description'].join(' · ')}
                {study.modalities.length > 0 && <span className="badge badge-neutral">{study.modalities.join(', ')}</span>}
              </h3>
              <ul className="series-list">
                {study.series.map((series) => (
                  <SeriesCard key={series.id} patientId={patientId} series={series} />
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
