import { useEffect, useState } from 'react';
import { type ApiError, ErrorCode, toApiError } from '../../api/errors';
import { listStudies, type SeriesSummary, type StudySummary } from '../../api/images';

export type SeriesLoad =
  | { status: 'loading' }
  | { status: 'found'; study: StudySummary; series: SeriesSummary }
  | { status: 'not-found' }
  | { status: 'error'; error: ApiError };

/** One series of a patient, found among the patient's studies (a series out of reach is not found). */
export function useSeries(patientId: string, seriesId: string): SeriesLoad {
  const [load, setLoad] = useState<SeriesLoad>({ status: 'loading' });
  useEffect(() => {
    let current = true;
    listStudies(patientId).then(
      (studies) => {
        if (!current) return;
        for (const study of studies) {
          const series = study.series.find((s) => s.id === seriesId);
          if (series !== undefined) return setLoad({ status: 'found', study, series });
        }
        setLoad({ status: 'not-found' });
      },
      (caught: unknown) => {
        if (!current) return;
        const error = toApiError(caught);
        setLoad(error.code === ErrorCode.notFound ? { status: 'not-found' } : { status: 'error', error });
      },
    );
    return () => {
      current = false;
    };
  }, [patientId, seriesId]);
  return load;
}
