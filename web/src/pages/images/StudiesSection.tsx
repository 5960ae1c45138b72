import { useEffect, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import { listStudies, type StudySummary } from '../../api/images';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Link } from '../../router/Link';
import { patientUploadPath } from '../../router/imagePaths';
import { SeriesCard } from './SeriesCard';
import { studyDate } from './studyFormat';

/** The patient's studies (date, description, modalities) with a card per series that opens the viewer. */
export function StudiesSection({ patientId, canUpload }: { patientId: string; canUpload: boolean }) {
  const [studies, setStudies] = useState<StudySummary[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

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
        {canUpload && (
          <Link to={patientUploadPath(patientId)} className="button" data-testid="upload-images">
            Upload images
          </Link>
        )}
      </div>
      <ErrorMessage error={error} />
      {studies === null && error === null && <p role="status">Loading the studies…</p>}
      {studies !== null && studies.length === 0 && <p data-testid="studies-empty">No images yet.</p>}
      {studies !== null && studies.length > 0 && (
        <ul className="study-list">
          {studies.map((study) => (
            <li key={study.id} className="study" data-testid="study">
              <h3 className="study-title">
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
