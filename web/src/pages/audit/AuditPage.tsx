import { useCallback, useEffect, useRef, useState } from 'react';
import { type AuditEntry, type AuditFilter, exportAudit, searchAudit } from '../../api/audit';
import { AdminOnly } from '../../components/AdminOnly';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useAction } from '../../hooks/useAction';
import { fileStamp } from './auditCatalog';
import { AuditFilterForm } from './AuditFilterForm';
import { AuditTable } from './AuditTable';
import { ExportButtons } from './ExportButtons';
import { IntegrityPanel } from './IntegrityPanel';
import { useDirectory } from './useDirectory';

/** `/admin/audit` (Administrator): the log's integrity, then a filtered review of its entries with exports. */
export function AuditPage() {
  return (
    <AdminOnly title="Audit" permission="audit.read">
      <AuditReview />
    </AdminOnly>
  );
}

interface Results {
  filter: AuditFilter;
  entries: AuditEntry[];
  nextBefore: number | null;
}

function AuditReview() {
  const directory = useDirectory();
  const [results, setResults] = useState<Results | null>(null);
  const search = useAction();
  const older = useAction();
  const { run } = search;
  // Only the latest search may show its answer (an older one can arrive after it).
  const latest = useRef(0);

  const apply = useCallback(async (filter: AuditFilter): Promise<void> => {
    const ticket = ++latest.current;
    await run(async () => {
      const page = await searchAudit(filter);
      if (ticket === latest.current) setResults({ filter, entries: page.entries, nextBefore: page.nextBefore });
    });
  }, [run]);

  useEffect(() => {
    void apply({});
  }, [apply]);

  async function loadOlder(): Promise<void> {
    if (results?.nextBefore == null) return;
    const { filter, nextBefore } = results;
    const ticket = latest.current;
    await older.run(async () => {
      const page = await searchAudit(filter, nextBefore);
      if (ticket !== latest.current) return;
      setResults((shown) => shown && { filter, entries: [...shown.entries, ...page.entries], nextBefore: page.nextBefore });
    });
  }

  const shown = results?.entries.length ?? 0;
  return (
    <>
      <p className="lead">
        Every access to patient data, every sign-in and every change of access is recorded in a tamper-evident log
        whose checkpoints are signed.
      </p>
      <IntegrityPanel />
      <section className="panel" aria-labelledby="entries-title">
        <h2 id="entries-title">Entries</h2>
        <AuditFilterForm actors={directory.actors} onApply={(filter) => void apply(filter)} pending={search.pending} />
        <ErrorMessage error={search.error ?? directory.error} />
        {results === null && search.error === null && <p role="status">Loading entries…</p>}
        {results !== null && (
          <>
            <div className="results-head">
              <p className="muted" role="status" data-testid="audit-summary">
                {shown === 0 ? 'No entries match these filters.' : `${shown.toLocaleString()} ${shown === 1 ? 'entry' : 'entries'} shown, newest first${results.nextBefore === null ? '' : '; older ones follow'}.`}
              </p>
              <ExportButtons load={(format) => exportAudit(results.filter, format)} baseName={`clarus-audit-${fileStamp()}`}
                subject="every entry matching the filters" />
            </div>
            <p className="hint">Exports hold every entry matching the filters (up to 10,000), not only those shown, and ask for your second factor.</p>
            {shown > 0 && <AuditTable entries={results.entries} nameOf={directory.nameOf} caption="Audit entries, newest first" />}
            <ErrorMessage error={older.error} />
            {results.nextBefore !== null && (
              <div className="actions">
                <button type="button" className="button" onClick={() => void loadOlder()} disabled={older.pending} data-testid="audit-older">
                  {older.pending ? 'Loading…' : 'Load older'}
                </button>
              </div>
            )}
          </>
        )}
      </section>
    </>
  );
}
