import { getFramePixels, getSlicePixels, type InstanceSummary, type PixelFrame, type Plane, type SeriesSummary } from '../../api/images';

/** One image of the stack the viewer scrolls through: a frame of an instance, or a NIfTI slice. */
export interface StackItem {
  key: string;
  instanceId: string;
  load: () => Promise<PixelFrame>;
}

/** Instances in InstanceNumber order (missing numbers last, then as stored). */
function ordered(instances: readonly InstanceSummary[]): InstanceSummary[] {
  return [...instances].sort((a, b) => (a.instanceNumber ?? Number.MAX_SAFE_INTEGER) - (b.instanceNumber ?? Number.MAX_SAFE_INTEGER));
}

/** The NIfTI volume of a series, if it is one (NIfTI series hold one volume). */
export function volumeOf(series: SeriesSummary): InstanceSummary | null {
  return series.instances.find((i) => i.kind === 'nifti') ?? null;
}

/** Slices of a NIfTI volume in a plane: the index describes it as columns × rows × frames = x × y × z. */
export function sliceCount(volume: InstanceSummary, plane: Plane): number {
  switch (plane) {
    case 'axial': return volume.frames ?? 1;
    case 'coronal': return volume.rows ?? 1;
    case 'sagittal': return volume.columns ?? 1;
  }
}

/** Every frame of every instance (DICOM, PNG, JPEG), or every slice of the volume in `plane`. */
export function buildStack(series: SeriesSummary, plane: Plane): StackItem[] {
  const volume = volumeOf(series);
  if (volume !== null) {
    return Array.from({ length: sliceCount(volume, plane) }, (_, index) => ({
      key: `${volume.id}:${plane}:${index}`, instanceId: volume.id, load: () => getSlicePixels(volume.id, plane, index),
    }));
  }
  return ordered(series.instances).flatMap((instance) =>
    Array.from({ length: Math.max(instance.frames ?? 1, 1) }, (_, i) => ({
      key: `${instance.id}:${i + 1}`, instanceId: instance.id, load: () => getFramePixels(instance.id, i + 1),
    })));
}
