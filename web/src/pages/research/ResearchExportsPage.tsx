import { useCallback, useEffect } from 'react';
import { listExports, type ResearchExport } from '../../api/research';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useLoaded } from '../../hooks/useLoaded';
import { AppShell } from '../../layout/AppShell';
import { can } from '../../permissions';
import { useMe } from '../../session/SessionContext';
import { ExportsTable } from './ExportsTable';
import { NewExportForm } from './NewExportForm';
import { isActive } from './researchFormat';
import { usePolling } from '../../hooks/usePolling';

/** How often the page asks how far running exports have come. */
const POLL_MS = 1000;

/**
 * `/research/exports` (Administrators, Radiologists: `research.export`): a new de-identified export
 * (DEID-1..3, PRIV-1) and the list of exports with their progress, download and deletion.
 */
export function ResearchExportsPage() {
  const me = useMe();
  return (
    <AppShell title="Research exports">
      <h1>Research exports</h1>
      {can(me, 'research.export') ? (
        <ResearchExports />
      ) : (
        <p className="alert alert-error" role="alert">
          Research exports are for administrators and radiologists. Ask an administrator if you need access.
        </p>
      )}
    </AppShell>
  );
}

function ResearchExports() {
  const { value: exports, setValue: setExports, error, load } = useLoaded(listExports);
  const active = exports?.some(isActive) ?? false;

  useEffect(() => {
    void load();
  }, [load]);

  usePolling(active, load, POLL_MS);

  const created = useCallback((item: ResearchExport) => {
    setExports((list) => [item, ...(list ?? []).filter((e) => e.id !== item.id)]);
  }, [setExports]);

  return (
    <>
      <p className="lead">
        Studies leave Clarus for research only de-identified (DICOM PS3.15 and HIPAA Safe Harbor), for patients who granted research
        consent, once every image that may show text in its pixels was reviewed. Archives are encrypted until downloaded and expire.
      </p>
      <NewExportForm onCreated={created} />
      <section className="panel" aria-labelledby="exports-title">
        <h2 id="exports-title">Exports</h2>
        <ErrorMessage error={error} />
        {exports === null && error === null && <p role="status">Loading the exports…</p>}
        {exports !== null && <ExportsTable exports={exports} onChanged={load} />}
      </section>
    </>
  );
}
