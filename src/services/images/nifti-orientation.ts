/**
 * Where a NIfTI volume's voxel axes point in the patient (DCM-3 planes), from its header, as the
 * NIfTI-1 standard (nifti1.h, "3D IMAGE (VOLUME) ORIENTATION AND LOCATION IN SPACE") defines it;
 * NIfTI-2 (nifti2.h) keeps the same fields as float64.
 *
 * The voxel-to-world matrix comes from, in order:
 * - sform_code > 0: srow_x, srow_y, srow_z (method 3);
 * - else qform_code > 0: the quaternion b, c, d with a = √(1 − b² − c² − d²), qoffset, the voxel
 *   sizes pixdim[1..3] and qfac = pixdim[0] (−1 flips k; any other value means 1) (method 2);
 * - else pixdim scaling alone, x = pixdim[1]·i, y = pixdim[2]·j, z = pixdim[3]·k (method 1).
 * World coordinates are RAS+: +x toward the patient's Right, +y Anterior, +z Superior.
 *
 * Each voxel axis is then matched to the patient axis (R-L, A-P, S-I) it runs along most closely,
 * with its direction: the closest permutation (as nibabel's `io_orientation`/`aff2axcodes`,
 * reimplemented here): the columns of the matrix are normalised, replaced by the nearest orthogonal
 * matrix (polar decomposition), and the largest remaining entry picks a (voxel axis, patient axis)
 * pair until all three are matched. Oblique volumes get the nearest permutation; nothing is
 * resampled. A matrix that cannot be used (not finite, a zero or degenerate axis) falls back to
 * method 1.
 */
import type { NiftiHeader } from '../../ingest/nifti-validate.ts';

/** A 3 × 4 voxel-to-world matrix: rows x, y, z (mm, RAS+); columns i, j, k, offset. */
export type Affine = readonly [readonly number[], readonly number[], readonly number[]];

/** Patient axes: 0 R-L (x), 1 A-P (y), 2 S-I (z). */
export type PatientAxis = 0 | 1 | 2;

export interface AxisOrientation {
  /** The patient axis the voxel axis runs along most closely. */
  axis: PatientAxis;
  /** +1: a higher index is toward R, A or S (RAS+); −1: toward L, P or I. */
  sign: 1 | -1;
}

export interface NiftiOrientation {
  /** Which matrix was used: nifti1.h method 3 (sform), 2 (qform) or 1 (pixdim only). */
  source: 'sform' | 'qform' | 'pixdim';
  affine: Affine;
  /** For voxel axes i, j, k. */
  axes: readonly [AxisOrientation, AxisOrientation, AxisOrientation];
  /** Distance between neighbouring voxels along i, j, k, in mm (the length of each matrix column). */
  spacing: readonly [number, number, number];
}

const letters = [['L', 'R'], ['P', 'A'], ['I', 'S']] as const;

/** Axis codes as nibabel's `aff2axcodes` writes them: the direction each voxel axis points to, e.g. `RAS`, `LPS`. */
export function axisCodes(axes: NiftiOrientation['axes']): string {
  return axes.map(({ axis, sign }) => letters[axis][sign === 1 ? 1 : 0]).join('');
}

type Matrix3 = number[][];

function column(m: Matrix3 | Affine, c: number): number[] {
  return [m[0][c] ?? 0, m[1][c] ?? 0, m[2][c] ?? 0];
}

function determinant(m: Matrix3): number {
  const [[a = 0, b = 0, c = 0] = [], [d = 0, e = 0, f = 0] = [], [g = 0, h = 0, i = 0] = []] = m;
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** (M⁻¹)ᵀ of a 3 × 3 matrix: the cofactor matrix over the determinant. */
function inverseTranspose(m: Matrix3, det: number): Matrix3 {
  const at = (r: number, c: number): number => m[(r + 3) % 3]?.[(c + 3) % 3] ?? 0;
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) => (at(r + 1, c + 1) * at(r + 2, c + 2) - at(r + 1, c + 2) * at(r + 2, c + 1)) / det));
}

/**
 * The orthogonal matrix nearest to `m` (the orthogonal factor of its polar decomposition, U·Vᵀ of
 * its SVD), by Newton's iteration Q ← (Q + Q⁻ᵀ) / 2, which converges quadratically for a
 * non-singular matrix. Undefined when `m` is (nearly) singular.
 */
function nearestOrthogonal(m: Matrix3): Matrix3 | undefined {
  let q = m.map((row) => [...row]);
  for (let step = 0; step < 50; step += 1) {
    const det = determinant(q);
    if (!Number.isFinite(det) || Math.abs(det) < 1e-9) return undefined;
    const inv = inverseTranspose(q, det);
    const next = q.map((row, r) => row.map((v, c) => (v + (inv[r]?.[c] ?? 0)) / 2));
    const change = Math.max(...next.flatMap((row, r) => row.map((v, c) => Math.abs(v - (q[r]?.[c] ?? 0)))));
    q = next;
    if (change < 1e-12) break;
  }
  return q;
}

/**
 * The closest permutation of a voxel-to-world matrix: for voxel axes i, j, k, the patient axis and
 * direction each runs along most closely. Undefined when the matrix has a zero, non-finite or
 * degenerate axis.
 */
export function orientationOf(affine: Affine): NiftiOrientation['axes'] | undefined {
  const columns = [0, 1, 2].map((c) => column(affine, c));
  if (!columns.flat().every(Number.isFinite)) return undefined;
  const lengths = columns.map((v) => Math.hypot(...v));
  if (lengths.some((l) => !(l > 0))) return undefined;
  // Rows world x, y, z; columns voxel i, j, k, each of unit length.
  const normalised: Matrix3 = [0, 1, 2].map((r) => [0, 1, 2].map((c) => (columns[c]?.[r] ?? 0) / (lengths[c] ?? 1)));
  const q = nearestOrthogonal(normalised);
  if (q === undefined) return undefined;
  const found: (AxisOrientation | undefined)[] = [undefined, undefined, undefined];
  const freeRows = new Set([0, 1, 2]);
  const freeColumns = new Set([0, 1, 2]);
  for (let round = 0; round < 3; round += 1) {
    let best = { row: -1, col: -1, value: -1 };
    for (const row of freeRows) {
      for (const col of freeColumns) {
        const value = Math.abs(q[row]?.[col] ?? 0);
        if (value > best.value) best = { row, col, value };
      }
    }
    found[best.col] = { axis: best.row as PatientAxis, sign: (q[best.row]?.[best.col] ?? 0) < 0 ? -1 : 1 };
    freeRows.delete(best.row);
    freeColumns.delete(best.col);
  }
  const [i, j, k] = found;
  return i && j && k ? [i, j, k] : undefined;
}

/** The rotation of a NIfTI quaternion (nifti1.h; nifti_quatern_to_mat44 in nifti1_io.c). */
export function quaternionMatrix(b: number, c: number, d: number): Matrix3 {
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // A unit quaternion with a = 0 (a 180° rotation): b, c, d are renormalised.
    const norm = 1 / Math.sqrt(b * b + c * c + d * d);
    [a, b, c, d] = [0, b * norm, c * norm, d * norm];
  } else {
    a = Math.sqrt(a);
  }
  return [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
}

/** The fields of the header the matrices are built from. */
export interface NiftiGeometryFields {
  qformCode: number;
  sformCode: number;
  /** pixdim[0..3]: qfac and the voxel sizes. */
  pixdim: readonly number[];
  quatern: readonly [number, number, number];
  qoffset: readonly [number, number, number];
  srow: readonly [readonly number[], readonly number[], readonly number[]];
  /** xyzt_units: the spatial unit in bits 0–2 (1 m, 2 mm, 3 µm). */
  xyztUnits: number;
}

/** Reads the geometry fields (nifti1.h offsets 252…327; nifti2.h 344…495). */
export function geometryFields(data: Buffer, header: Pick<NiftiHeader, 'version' | 'littleEndian' | 'pixdim' | 'qformCode' | 'sformCode' | 'xyztUnits'>): NiftiGeometryFields {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const le = header.littleEndian;
  const [width, base, read] = header.version === 1
    ? [4, 256, (offset: number) => view.getFloat32(offset, le)]
    : [8, 352, (offset: number) => view.getFloat64(offset, le)];
  // quatern_b, c, d, qoffset_x, y, z, then srow_x[4], srow_y[4], srow_z[4].
  const at = (n: number): number => read(base + n * width);
  return {
    qformCode: header.qformCode,
    sformCode: header.sformCode,
    pixdim: header.pixdim,
    quatern: [at(0), at(1), at(2)],
    qoffset: [at(3), at(4), at(5)],
    srow: [[at(6), at(7), at(8), at(9)], [at(10), at(11), at(12), at(13)], [at(14), at(15), at(16), at(17)]],
    xyztUnits: header.xyztUnits,
  };
}

/** Millimetres per spatial unit of xyzt_units (nifti1.h NIFTI_UNITS_METER/MM/MICRON; unknown is read as mm). */
function millimetresPerUnit(xyztUnits: number): number {
  switch (xyztUnits & 0x07) {
    case 1: return 1000;
    case 3: return 0.001;
    default: return 1;
  }
}

/** A voxel size usable in method 1 and 2: nifti1_io.c reads a non-positive (or non-finite) one as 1. */
function size(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 1;
}

function pixdimAffine(fields: NiftiGeometryFields): Affine {
  const [, dx, dy, dz] = fields.pixdim;
  return [[size(dx), 0, 0, 0], [0, size(dy), 0, 0], [0, 0, size(dz), 0]];
}

function qformAffine(fields: NiftiGeometryFields): Affine {
  const [b, c, d] = fields.quatern;
  const rotation = quaternionMatrix(b, c, d);
  const [qfacValue, dx, dy, dz] = fields.pixdim;
  const qfac = qfacValue === -1 ? -1 : 1;
  const scale = [size(dx), size(dy), size(dz) * qfac];
  return [0, 1, 2].map((r) => [...[0, 1, 2].map((c2) => (rotation[r]?.[c2] ?? 0) * (scale[c2] ?? 1)), fields.qoffset[r] ?? 0]) as unknown as Affine;
}

/** The voxel-to-world matrix and the closest permutation of a volume (see the module comment). */
export function niftiOrientation(fields: NiftiGeometryFields): NiftiOrientation {
  const candidates: [NiftiOrientation['source'], () => Affine][] = [];
  if (fields.sformCode > 0) candidates.push(['sform', () => fields.srow]);
  else if (fields.qformCode > 0) candidates.push(['qform', () => qformAffine(fields)]);
  candidates.push(['pixdim', () => pixdimAffine(fields)]);
  for (const [source, build] of candidates) {
    const affine = build();
    const axes = orientationOf(affine);
    if (axes === undefined) continue;
    const unit = millimetresPerUnit(fields.xyztUnits);
    const spacing = [0, 1, 2].map((c) => Math.hypot(...column(affine, c)) * unit) as unknown as NiftiOrientation['spacing'];
    return { source, affine, axes, spacing };
  }
  // Unreachable: the pixdim matrix is diagonal with positive sizes.
  throw new Error('NIfTI pixdim matrix is not usable');
}
