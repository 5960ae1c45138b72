import type { Preflight } from '../../api/research';
import { Link } from '../../router/Link';
import { instanceViewerPath } from '../../router/imagePaths';
import { patientPath } from '../../router/paths';
import { consentLabels } from '../patients/ConsentSection';
import { describeHold } from '../viewer/PixelReviewPanel';
import type { DraftStudy } from './exportDraft';
import { formatSize } from './researchFormat';

/**
 * What the check found per study: the patient's research consent and the images still held for
 * pixel review, each linking to the viewer at that image so that a reviewer can decide there.
 */
export function PreflightResult({ result, studies }: { result: Preflight; studies: readonly DraftStudy[] }) {
  const known = new Map(studies.map((s) => [s.studyId, s]));
  const blocked = result.studies.filter((s) => s.consent !== 'granted').length;
  const held = result.studies.reduce((sum, s) => sum + s.held.length, 0);
  const size = result.files === undefined ? null : `${result.files} ${result.files === 1 ? 'file' : 'files'}${result.bytes === undefined ? '' : `, ${formatSize(result.bytes)} stored`}`;
  return (
    <div className="preflight" data-testid="preflight">
      <p className={result.ready ? 'alert alert-success' : 'alert alert-error'} role="status" data-testid="preflight-summary">
        {result.ready
          ? `Ready: every patient granted research consent and no image is held. You can start the export${size === null ? '' : ` (${size})`}.`
          : [
              blocked > 0 ? `${blocked} ${blocked === 1 ? 'study belongs' : 'studies belong'} to patients without research consent.` : null,
              held > 0 ? `${held} ${held === 1 ? 'image is' : 'images are'} held until reviewed for text in the pixels.` : null,
              blocked === 0 && held === 0 && result.files === 0 ? 'The selected studies hold no images.' : null,
              // The server's other reason not to be ready: more files or bytes than one export may hold.
              blocked === 0 && held === 0 && result.files !== 0 ? `The export would be too large${size === null ? '' : ` (${size})`}; choose fewer studies.` : null,
              'Resolve these, then check again.',
            ].filter(Boolean).join(' ')}
      </p>
      <div className="table-wrap">
        <table className="table">
          <caption className="visually-hidden">Check of the selected studies</caption>
          <thead>
            <tr>
              <th scope="col">Study</th>
              <th scope="col">Images</th>
              <th scope="col">Research consent</th>
              <th scope="col">Held for pixel review</th>
            </tr>
          </thead>
          <tbody>
            {result.studies.map((study) => {
              const draft = known.get(study.studyId);
              const consent = consentLabels[study.consent];
              return (
                <tr key={study.studyId} data-testid="preflight-study" data-study-id={study.studyId} data-consent={study.consent}>
                  <th scope="row">
                    <Link to={patientPath(study.patientId)}>{draft?.patientName ?? 'Patient'}</Link>
                    <span className="muted"> · {draft?.label ?? 'Study'}</span>
                  </th>
                  <td>{study.instances}</td>
                  <td>
                    <span className={`badge ${consent.tone}`} data-testid="preflight-consent">{consent.label}</span>
                  </td>
                  <td>
                    {study.held.length === 0 ? (
                      <span className="muted">None</span>
                    ) : (
                      <ul className="held-list">
                        {study.held.map((item, index) => (
                          <li key={item.instanceId} data-testid="held-instance" data-instance-id={item.instanceId}>
                            <Link to={instanceViewerPath(study.patientId, item.seriesId, item.instanceId)} data-testid="review-held">
                              Review image {index + 1}
                            </Link>
                            <span className="muted"> — {describeHold(item.reason)}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
