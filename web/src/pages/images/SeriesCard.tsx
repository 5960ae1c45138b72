import type { SeriesSummary } from '../../api/images';
import { Link } from '../../router/Link';
import { seriesViewerPath } from '../../router/imagePaths';
import { Thumbnail } from './Thumbnail';

const kindNames = { dicom: 'DICOM', nifti: 'NIfTI volume', png: 'PNG', jpeg: 'JPEG' } as const;

/** A series as a link to the viewer: a thumbnail of its middle image, modality, description, size. */
export function SeriesCard({ patientId, series }: { patientId: string; series: SeriesSummary }) {
  const middle = series.instances[Math.floor(series.instances.length / 2)];
  const kind = series.instances[0]?.kind ?? 'dicom';
  const name = series.description ?? (series.seriesNumber === null ? kindNames[kind] : `Series ${series.seriesNumber}`);
  const count = kind === 'nifti' ? kindNames.nifti : `${series.instances.length} image${series.instances.length === 1 ? '' : 's'}`;
  return (
    <li className="series-card" data-testid="series-card">
      <Link to={seriesViewerPath(patientId, series.id)} className="series-link" data-testid="open-series">
        {middle !== undefined && <Thumbnail instanceId={middle.id} label={`Preview of ${name}`} />}
        <span className="series-text">
          <strong>{name}</strong>
          <span className="muted">{[series.modality, count].filter(Boolean).join(' · ')}</span>
        </span>
      </Link>
    </li>
  );
}
