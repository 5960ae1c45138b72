/**
 * NIfTI orientation (DCM-3 planes): the voxel-to-world matrix from sform, qform or pixdim
 * (nifti1.h), its closest permutation (as nibabel's aff2axcodes), and slices cut and flipped so
 * that every plane shows in radiological convention whatever order the voxels are stored in.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Affine, axisCodes, geometryFields, niftiOrientation, type NiftiGeometryFields, orientationOf } from '../../src/services/images/nifti-orientation.ts';
import { loadNiftiVolume, type NiftiSlice, type NiftiVolume, sliceCount, sliceOf } from '../../src/services/images/nifti-slice.ts';
import { FrameNotFound, type NiftiPlane } from '../../src/services/images/render-types.ts';
import { niftiFile } from '../fixtures/ingest/builders.ts';

const identity: Affine = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];

function fields(overrides: Partial<NiftiGeometryFields>): NiftiGeometryFields {
  return { qformCode: 0, sformCode: 0, pixdim: [1, 1, 1, 1], quatern: [0, 0, 0], qoffset: [0, 0, 0], srow: identity, xyztUnits: 2, ...overrides };
}

const codesOf = (affine: Affine): string | undefined => {
  const axes = orientationOf(affine);
  return axes === undefined ? undefined : axisCodes(axes);
};

describe('closest permutation of a voxel-to-world matrix', () => {
  test('identity is RAS', () => {
    assert.equal(codesOf(identity), 'RAS');
  });

  test('flipped axes: LPS storage (diagonal −1, −1, 1) and scaled flips', () => {
    assert.equal(codesOf([[-1, 0, 0, 10], [0, -1, 0, 20], [0, 0, 1, 0]]), 'LPS');
    assert.equal(codesOf([[-2, 0, 0, 0], [0, 3, 0, 0], [0, 0, -4, 0]]), 'LAI');
  });

  test('permuted axes: i along A, j toward I, k along R', () => {
    assert.equal(codesOf([[0, 0, 2, 0], [1, 0, 0, 0], [0, -3, 0, 0]]), 'AIR');
  });

  test('a 30° oblique goes to the nearest permutation; 60° to the other', () => {
    const about = (degrees: number): Affine => {
      const [c, s] = [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];
      return [[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0]];
    };
    assert.equal(codesOf(about(30)), 'RAS');
    assert.equal(codesOf(about(60)), 'RSP');
    // Oblique in two directions, with voxel sizes that differ 10-fold: the sizes do not sway the match.
    const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
    assert.equal(codesOf([[-0.1 * c, 0, -5 * s, 0], [0, -1, 0, 0], [0.1 * s, 0, -5 * c, 0]]), 'LPI');
  });

  test('a zero or non-finite axis, or a singular matrix, has no orientation', () => {
    assert.equal(orientationOf([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]), undefined);
    assert.equal(orientationOf([[1, 0, Number.NaN, 0], [0, 1, 0, 0], [0, 0, 1, 0]]), undefined);
    assert.equal(orientationOf([[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]), undefined);
  });
});

describe('which matrix the header gives (nifti1.h methods 1–3)', () => {
  test('no codes: pixdim scaling only (method 1), RAS, spacing from pixdim', () => {
    const o = niftiOrientation(fields({ pixdim: [1, 0.5, 0.8, 3] }));
    assert.deepEqual([o.source, axisCodes(o.axes), o.spacing], ['pixdim', 'RAS', [0.5, 0.8, 3]]);
  });

  test('sform_code > 0: srow_x/y/z, preferred over the qform', () => {
    const o = niftiOrientation(fields({ sformCode: 1, qformCode: 1, srow: [[0, 0, -2, 0], [-1, 0, 0, 0], [0, 1.5, 0, 0]] }));
    assert.deepEqual([o.source, axisCodes(o.axes), o.spacing], ['sform', 'PSL', [1, 1.5, 2]]);
  });

  test('qform_code > 0 with qfac −1 (pixdim[0]): k points inferior', () => {
    const o = niftiOrientation(fields({ qformCode: 1, pixdim: [-1, 1, 1, 2] }));
    assert.deepEqual([o.source, axisCodes(o.axes), o.spacing], ['qform', 'RAI', [1, 1, 2]]);
    assert.deepEqual(o.affine[2], [0, 0, -2, 0]);
  });

  test('qform quaternion: 90° about z (b = c = 0, d = sin 45°), and 180° about x (a = 0: b = 1)', () => {
    const z90 = niftiOrientation(fields({ qformCode: 2, quatern: [0, 0, Math.SQRT1_2], qoffset: [5, 6, 7] }));
    assert.deepEqual([z90.source, axisCodes(z90.axes)], ['qform', 'ALS']);
    assert.deepEqual(z90.affine.map((row) => row[3]), [5, 6, 7]);
    assert.equal(axisCodes(niftiOrientation(fields({ qformCode: 1, quatern: [1, 0, 0] })).axes), 'RPI');
  });

  test('an unusable sform falls back to pixdim; xyzt_units in micrometres scale the spacing to mm', () => {
    const o = niftiOrientation(fields({ sformCode: 1, srow: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], pixdim: [1, 2, 2, 2], xyztUnits: 3 }));
    assert.deepEqual([o.source, axisCodes(o.axes), o.spacing], ['pixdim', 'RAS', [0.002, 0.002, 0.002]]);
  });
});

// ---------------------------------------------------------------- slicing

interface Geometry {
  pixdim?: number[];
  sform?: Affine;
  qform?: { quatern: [number, number, number]; qoffset: [number, number, number] };
}

/** Writes pixdim, qform and sform into a NIfTI-1 or NIfTI-2 header (nifti1.h 76/252…; nifti2.h 104/344…). */
function withGeometry(file: Buffer, version: 1 | 2, geometry: Geometry): Buffer {
  const float = version === 1 ? (value: number, offset: number) => file.writeFloatLE(value, offset) : (value: number, offset: number) => file.writeDoubleLE(value, offset);
  const width = version === 1 ? 4 : 8;
  geometry.pixdim?.forEach((value, i) => float(value, (version === 1 ? 76 : 104) + width * i));
  const [qformAt, sformAt, base] = version === 1 ? [252, 254, 256] : [344, 348, 352];
  const code = version === 1 ? (value: number, offset: number) => file.writeInt16LE(value, offset) : (value: number, offset: number) => file.writeInt32LE(value, offset);
  if (geometry.qform) {
    code(1, qformAt);
    [...geometry.qform.quatern, ...geometry.qform.qoffset].forEach((value, i) => float(value, base + width * i));
  }
  if (geometry.sform) {
    code(2, sformAt);
    geometry.sform.flat().forEach((value, i) => float(value, base + width * (6 + i)));
  }
  return file;
}

/**
 * A uint16 volume whose voxel (i, j, k) holds i + 16·j + 256·k, so that every displayed pixel says
 * which voxel it came from.
 */
function codedVolume(dims: [number, number, number], geometry: Geometry, version: 1 | 2 = 1): Buffer {
  const [nx, ny, nz] = dims;
  const file = withGeometry(niftiFile({ version, dims, datatype: 512, bitpix: 16 }), version, geometry);
  const start = version === 1 ? 352 : 544;
  for (let k = 0; k < nz; k += 1) for (let j = 0; j < ny; j += 1) for (let i = 0; i < nx; i += 1) file.writeUInt16LE(i + 16 * j + 256 * k, start + 2 * (i + nx * (j + ny * k)));
  return file;
}

const voxelOf = (value: number): [number, number, number] => [value % 16, Math.floor(value / 16) % 16, Math.floor(value / 256)];

/** The world (RAS+ mm) position of every pixel of a slice, row by row. */
function worldGrid(volume: NiftiVolume, slice: NiftiSlice): number[][] {
  return Array.from(slice.pixels, (value) => {
    const [i, j, k] = voxelOf(value);
    return volume.orientation.affine.map((row) => (row[0] ?? 0) * i + (row[1] ?? 0) * j + (row[2] ?? 0) * k + (row[3] ?? 0));
  });
}

const planes: readonly NiftiPlane[] = ['axial', 'coronal', 'sagittal'];

describe('slices in radiological convention', () => {
  // 4 voxels R-L, 3 A-P, 5 S-I.
  const dims: [number, number, number] = [4, 3, 5];
  const [nx, ny, nz] = dims;
  // RAS+ identity (no codes: method 1) and the same space stored LPS: x = 3 − i, y = 2 − j, z = k.
  const ras = (): Promise<NiftiVolume> => loadNiftiVolume(codedVolume(dims, {}));
  const lps = (): Promise<NiftiVolume> => loadNiftiVolume(gzipSync(codedVolume(dims, { sform: [[-1, 0, 0, nx - 1], [0, -1, 0, ny - 1], [0, 0, 1, 0]] })));

  test('RAS+ identity: the top-left pixel is the right-anterior (axial), right-superior (coronal), anterior-superior (sagittal) voxel', async () => {
    const volume = await ras();
    assert.equal(axisCodes(volume.orientation.axes), 'RAS');
    const topLeft = (plane: NiftiPlane, index: number): [number, number, number] => voxelOf(sliceOf(volume, plane, index).pixels[0] ?? -1);
    assert.deepEqual(topLeft('axial', 2), [nx - 1, ny - 1, 2]);
    assert.deepEqual(topLeft('coronal', 1), [nx - 1, 1, nz - 1]);
    assert.deepEqual(topLeft('sagittal', 3), [3, ny - 1, nz - 1]);
    // Along the first row the patient's left comes next (axial, coronal) or posterior (sagittal); down the first column posterior (axial) or inferior.
    const axial = sliceOf(volume, 'axial', 2);
    assert.deepEqual([axial.rows, axial.columns], [ny, nx]);
    assert.deepEqual(voxelOf(axial.pixels[1] ?? -1), [nx - 2, ny - 1, 2]);
    assert.deepEqual(voxelOf(axial.pixels[axial.columns] ?? -1), [nx - 1, ny - 2, 2]);
    const sagittal = sliceOf(volume, 'sagittal', 0);
    assert.deepEqual([sagittal.rows, sagittal.columns], [nz, ny]);
    assert.deepEqual(voxelOf(sagittal.pixels[1] ?? -1), [0, ny - 2, nz - 1]);
    assert.deepEqual(voxelOf(sagittal.pixels[sagittal.columns] ?? -1), [0, ny - 1, nz - 2]);
  });

  test('LPS-stored (sform diagonal −1, −1, 1): voxel (0, 0, k) is the right-anterior corner, at the top left', async () => {
    const volume = await lps();
    assert.deepEqual([volume.orientation.source, axisCodes(volume.orientation.axes)], ['sform', 'LPS']);
    const topLeft = (plane: NiftiPlane, index: number): [number, number, number] => voxelOf(sliceOf(volume, plane, index).pixels[0] ?? -1);
    assert.deepEqual(topLeft('axial', 2), [0, 0, 2]);
    // Coronal indices run toward anterior, sagittal toward the patient's right, whatever the storage.
    assert.deepEqual(topLeft('coronal', 1), [0, ny - 1 - 1, nz - 1]);
    assert.deepEqual(topLeft('sagittal', 3), [nx - 1 - 3, 0, nz - 1]);
  });

  test('RAS+ and LPS storage of the same space display the same anatomy in the same place, in every plane and slice', async () => {
    const [a, b] = [await ras(), await lps()];
    for (const plane of planes) {
      assert.equal(sliceCount(a.dims, plane), sliceCount(b.dims, plane));
      for (let index = 0; index < sliceCount(a.dims, plane); index += 1) {
        const [sa, sb] = [sliceOf(a, plane, index), sliceOf(b, plane, index)];
        assert.deepEqual([sa.rows, sa.columns], [sb.rows, sb.columns]);
        assert.deepEqual(worldGrid(b, sb), worldGrid(a, sa), `${plane} ${index}`);
      }
    }
  });

  test('permuted storage (i along A-P, j S-I, k R-L via the sform, NIfTI-2): the same anatomy again, slice counts follow', async () => {
    const a = await ras();
    // i → y, j → z, k → x: dims (A-P, S-I, R-L) = (3, 5, 4).
    const b = await loadNiftiVolume(codedVolume([ny, nz, nx], { sform: [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]] }, 2));
    assert.equal(axisCodes(b.orientation.axes), 'ASR');
    assert.deepEqual(planes.map((p) => sliceCount(b.dims, p)), [nz, ny, nx]);
    assert.throws(() => sliceOf(b, 'axial', nz), FrameNotFound);
    for (const plane of planes) {
      for (let index = 0; index < sliceCount(a.dims, plane); index += 1) {
        assert.deepEqual(worldGrid(b, sliceOf(b, plane, index)), worldGrid(a, sliceOf(a, plane, index)), `${plane} ${index}`);
      }
    }
  });

  test('qform with qfac −1 (k stored inferior-ward): axial index 0 is the most inferior slice, superior up', async () => {
    const volume = await loadNiftiVolume(codedVolume(dims, { pixdim: [-1, 1, 1, 1], qform: { quatern: [0, 0, 0], qoffset: [0, 0, 0] } }));
    assert.equal(axisCodes(volume.orientation.axes), 'RAI');
    assert.deepEqual(voxelOf(sliceOf(volume, 'axial', 0).pixels[0] ?? -1), [nx - 1, ny - 1, nz - 1]);
    assert.deepEqual(voxelOf(sliceOf(volume, 'coronal', 0).pixels[0] ?? -1), [nx - 1, 0, 0]);
  });

  test('a 30° oblique sform (about R-L) shows as the nearest permutation, unresampled', async () => {
    const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
    const volume = await loadNiftiVolume(codedVolume(dims, { sform: [[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0]] }));
    assert.equal(axisCodes(volume.orientation.axes), 'RAS');
    const axial = sliceOf(volume, 'axial', 1);
    assert.deepEqual([axial.rows, axial.columns, voxelOf(axial.pixels[0] ?? -1)], [ny, nx, [nx - 1, ny - 1, 1]]);
  });

  test('pixel spacing: row and column distances of each plane, from the matrix', async () => {
    const volume = await loadNiftiVolume(codedVolume(dims, { pixdim: [1, 0.5, 0.8, 3] }));
    const spacing = planes.map((p) => sliceOf(volume, p, 0).pixelSpacing);
    assert.deepEqual(spacing, [{ row: 0.8, column: 0.5 }, { row: 3, column: 0.5 }, { row: 3, column: 0.8 }]);
    // Permuted by the sform (i along S-I, 2 mm; j along R-L, 0.7 mm; k along A-P, 1.1 mm).
    const permuted = await loadNiftiVolume(codedVolume(dims, { sform: [[0, 0.7, 0, 0], [0, 0, -1.1, 0], [2, 0, 0, 0]] }, 2));
    assert.deepEqual(planes.map((p) => sliceOf(permuted, p, 0).pixelSpacing), [{ row: 1.1, column: 0.7 }, { row: 2, column: 0.7 }, { row: 2, column: 1.1 }]);
  });

  test('geometryFields reads NIfTI-1 float32 and NIfTI-2 float64 layouts alike', async () => {
    const sform: Affine = [[0, -1.25, 0, 1], [0, 0, 2.5, 2], [0.75, 0, 0, 3]];
    for (const version of [1, 2] as const) {
      const volume = await loadNiftiVolume(codedVolume(dims, { sform, pixdim: [1, 9, 9, 9] }, version));
      const read = geometryFields(volume.data, volume.header);
      assert.deepEqual([read.sformCode, read.srow], [2, sform], `NIfTI-${version}`);
      assert.equal(axisCodes(volume.orientation.axes), 'SLA');
    }
  });
});
