import { ErrorMessage } from '../../components/ErrorMessage';
import { AppShell } from '../../layout/AppShell';
import { useCan } from '../../permissions';
import { Link } from '../../router/Link';
import { patientPath } from '../../router/paths';
import { studyDate } from '../images/studyFormat';
import { SeriesViewer } from './SeriesViewer';
import { useSeries } from './useSeries';

/** `/patients/:id/series/:seriesId`: one series in the viewer (DCM-3). */
export function ViewerPage({ patientId, seriesId, instanceId = null }: { patientId: string; seriesId: string; instanceId?: string | null }) {
  const can = useCan();
  const load = useSeries(patientId, seriesId);
  const title = load.status === 'found'
    ? [load.series.modality, load.series.description ?? (load.series.seriesNumber === null ? null : `Series ${load.series.seriesNumber}`)].filter(Boolean).join(' · ') || 'Series'
    : 'Viewer';
  return (
    <AppShell title={title}>
      <p>
        <Link to={patientPath(patientId)} data-testid="back-to-patient">← Patient</Link>
      </p>
      <h1>{title}</h1>
      {load.status === 'loading' && <p role="status">Loading the series…</p>}
      {load.status === 'error' && <ErrorMessage error={load.error} />}
      {load.status === 'not-found' && <p role="alert" data-testid="series-not-found">This series does not exist or is not available to you.</p>}
      {load.status === 'found' && (
        <>
          <p className="muted">
            {[studyDate(load.study.studyDate), load.study.description, `${load.series.instances.length} instance(s)`].filter(Boolean).join(' · ')}
          </p>
          <SeriesViewer key={load.series.id} series={load.series} canSeeTags={can('images.metadata')}
            canReview={can('images.pixel-review')} initialInstanceId={instanceId} />
        </>
      )}
    </AppShell>
  );
}
