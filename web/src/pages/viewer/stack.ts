import { getFramePixels, getSlicePixels, type InstanceSummary, type PixelFrame, type Plane, type SeriesSummary } from '../../api/images';

/** One image of the stack the viewer scrolls through: a frame of an instance, or a NIfTI slice. */
export interface StackItem {
  /** `instanceId:frame`, or `instanceId:plane:index` for a NIfTI slice. */
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

/**
 * Slices of a NIfTI volume in a plane, as far as the index tells: it describes the volume as
 * columns × rows × frames = voxels along i × j × k, and this guesses i, j, k as sagittal, coronal,
 * axial (a RAS- or LPS-stored volume). The server cuts each plane across the voxel axis closest to
 * its normal, so a volume stored in another order has other counts: every slice answer carries the
 * right one (`frames`), which the viewer then uses.
 */
export function sliceCount(volume: InstanceSummary, plane: Plane): number {
  switch (plane) {
    case 'axial': return volume.frames ?? 1;
    case 'coronal': return volume.rows ?? 1;
    case 'sagittal': return volume.columns ?? 1;
  }
}

/**
 * The slice a NIfTI plane opens at: the middle of `known` slices, else the middle of the guess but
 * never past the smallest voxel count (a slice that exists in any plane, whatever the storage order).
 */
export function openingSlice(volume: InstanceSummary, plane: Plane, known?: number): number {
  if (known !== undefined) return Math.floor(known / 2);
  const smallest = Math.min(volume.columns ?? 1, volume.rows ?? 1, volume.frames ?? 1);
  return Math.max(0, Math.min(Math.floor(sliceCount(volume, plane) / 2), smallest - 1));
}

/**
 * Every frame of every instance (DICOM, PNG, JPEG), or every slice of the volume in `plane`
 * (`count` slices when known from the server, else the index's guess).
 */
export function buildStack(series: SeriesSummary, plane: Plane, count?: number): StackItem[] {
  const volume = volumeOf(series);
  if (volume !== null) {
    return Array.from({ length: count ?? sliceCount(volume, plane) }, (_, index) => ({
      key: `${volume.id}:${plane}:${index}`, instanceId: volume.id, load: () => getSlicePixels(volume.id, plane, index),
    }));
  }
  return ordered(series.instances).flatMap((instance) =>
    Array.from({ length: Math.max(instance.frames ?? 1, 1) }, (_, i) => ({
      key: `${instance.id}:${i + 1}`, instanceId: instance.id, load: () => getFramePixels(instance.id, i + 1),
    })));
}
