import { useCan } from '../../permissions';
import { Link } from '../../router/Link';
import { patientPath, paths } from '../../router/paths';
import type { UploadItem } from './uploadQueue';

const sizeFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${sizeFormat.format(bytes / 1024)} KB`;
  return `${sizeFormat.format(bytes / 1024 / 1024)} MB`;
}

function result(item: UploadItem): string {
  switch (item.state) {
    case 'queued': return 'Waiting';
    case 'uploading': return item.message ?? (item.progress >= 1 ? 'Checking…' : `${Math.floor(item.progress * 100)} %`);
    case 'stored': return 'Stored';
    case 'duplicate': return 'Already stored (same file)';
    case 'reconciliation': return 'Waiting in reconciliation: no patient has its Patient ID as MRN';
    case 'refused': return `Refused: ${item.message ?? ''}`;
    case 'failed': return `Failed: ${item.message ?? ''}`;
  }
}

/** One file: name, size, a progress bar, and the result (the server's message when refused). */
export function UploadRow({ item, showPatient }: { item: UploadItem; showPatient: boolean }) {
  const can = useCan();
  const done = item.state === 'stored' || item.state === 'duplicate' || item.state === 'reconciliation';
  const bad = item.state === 'refused' || item.state === 'failed';
  return (
    <li className="upload-row" data-testid="upload-row" data-state={item.state}>
      <span className="upload-name">{item.name}</span>
      <span className="muted upload-size">{size(item.size)}</span>
      <progress className="upload-progress" max={1} value={done ? 1 : item.progress} aria-label={`Upload of ${item.name}`} data-testid="upload-progress" />
      <span className={bad ? 'upload-result warning-text' : 'upload-result'} role={bad ? 'alert' : 'status'} data-testid="upload-result">
        {result(item)}
        {item.state === 'reconciliation' && can('reconciliation.manage') && (
          <>
            {' · '}
            <Link to={paths.reconciliation}>Open the reconciliation list</Link>
          </>
        )}
        {showPatient && done && item.outcome !== null && 'patientId' in item.outcome && (
          <>
            {' · '}
            <Link to={patientPath(item.outcome.patientId)}>Open the patient</Link>
          </>
        )}
      </span>
    </li>
  );
}
