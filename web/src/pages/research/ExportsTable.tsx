import { useState, type MouseEvent } from 'react';
import { deleteExport, exportDownloadPath, prepareDownload, type ResearchExport } from '../../api/research';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useMe } from '../../session/SessionContext';
import { exportStates, formatSize, isActive, isDownloadable, percentOf } from './researchFormat';

/**
 * Hands the download to the browser as a plain navigation to the archive's URL, so that the zip
 * streams to disk instead of being held in memory as a Blob; `download` keeps the page in place
 * even if the server refuses.
 */
function followDownload(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

/** The user's exports (an Administrator's: the organisation's), newest first, with progress and actions. */
export function ExportsTable({ exports, onChanged }: { exports: readonly ResearchExport[]; onChanged: () => Promise<void> }) {
  if (exports.length === 0) return <p data-testid="exports-empty">No research export yet.</p>;
  const sorted = [...exports].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <div className="table-wrap">
      <table className="table" data-testid="exports-table">
        <caption className="visually-hidden">Research exports</caption>
        <thead>
          <tr>
            <th scope="col">Asked for</th>
            <th scope="col">Purpose</th>
            <th scope="col">Studies</th>
            <th scope="col">State</th>
            <th scope="col">Progress</th>
            <th scope="col">Size</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((item) => <ExportRow key={item.id} item={item} onChanged={onChanged} />)}
        </tbody>
      </table>
    </div>
  );
}

function ExportRow({ item, onChanged }: { item: ResearchExport; onChanged: () => Promise<void> }) {
  const action = useAction();
  const me = useMe();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const state = exportStates[item.state];
  const percent = percentOf(item);
  const rowLabel = `export of ${formatDateTime(item.createdAt)}`;

  async function download(event: MouseEvent<HTMLAnchorElement>): Promise<void> {
    // Modified clicks (new tab, save as) go to the browser as they are.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    // Through the API client first: it renews an expired access token and asks for step-up (a plain
    // link can do neither) and says clearly when the archive is gone; then the browser fetches the file.
    if (!(await action.run(() => prepareDownload(item.id)))) return;
    followDownload(exportDownloadPath(item.id));
    // The state becomes `downloaded` on the server once the file went out.
    window.setTimeout(() => void onChanged(), 1500);
  }

  async function remove(): Promise<void> {
    if (await action.run(() => deleteExport(item.id))) await onChanged();
    setConfirmDelete(false);
  }

  return (
    <tr data-testid="export-row" data-export-id={item.id} data-state={item.state}>
      <td>{formatDateTime(item.createdAt)}</td>
      <td className="export-purpose">{item.purpose}</td>
      <td>{item.studyCount}</td>
      <td>
        <span className={`badge ${state.tone}`} data-testid="export-state">{state.label}</span>
        {item.state === 'failed' && item.error !== null && <p className="field-error" data-testid="export-error">{item.error}</p>}
        {isDownloadable(item, me.user.id) && item.expiresAt !== null && <p className="muted">Until {formatDateTime(item.expiresAt)}</p>}
        {(item.withheld ?? 0) > 0 && (
          <p className="field-error" data-testid="export-withheld">
            {item.withheld} {item.withheld === 1 ? 'file was' : 'files were'} left out: they could not be de-identified safely.
          </p>
        )}
      </td>
      <td>
        {item.state !== 'failed' && item.state !== 'expired' && (
          <>
            <progress className="export-progress" max={100} value={percent} aria-label={`Progress of the ${rowLabel}`}
              aria-valuetext={`${item.progress.done} of ${item.progress.total} files (${percent}%)`} data-testid="export-progress">
              {percent}%
            </progress>
            <span className="muted export-progress-text" data-testid="export-progress-text">
              {item.progress.done} of {item.progress.total}
            </span>
          </>
        )}
      </td>
      <td data-testid="export-size">{formatSize(item.size)}</td>
      <td>
        <div className="row-actions">
          {isDownloadable(item, me.user.id) && (
            <a className="button button-small primary" href={exportDownloadPath(item.id)} download onClick={(event) => void download(event)}
              aria-label={`Download the ${rowLabel}`} data-testid="export-download">
              Download
            </a>
          )}
          {!isActive(item) && !confirmDelete && (
            <button type="button" className="button button-small danger" onClick={() => setConfirmDelete(true)} disabled={action.pending}
              aria-label={`Delete the ${rowLabel}`} data-testid="export-delete">
              Delete
            </button>
          )}
          {confirmDelete && (
            <span role="group" aria-label={`Confirm deleting the ${rowLabel}`} className="row-actions">
              <button type="button" className="button button-small danger" onClick={() => void remove()} disabled={action.pending}
                data-testid="export-delete-confirm">
                Destroy archive
              </button>
              <button type="button" className="button button-small" onClick={() => setConfirmDelete(false)} disabled={action.pending}>
                Keep
              </button>
            </span>
          )}
        </div>
        <ErrorMessage error={action.error} />
      </td>
    </tr>
  );
}
