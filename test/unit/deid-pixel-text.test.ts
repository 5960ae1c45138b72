import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assessPixelTextRisk, findMaskRule, maskNativePixels, unmaskableLayout, type NativePixelLayout, type PixelTextFacts } from '../../src/deid/pixel-text-risk.ts';

const ct: PixelTextFacts = { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', modality: 'CT', manufacturer: 'GE MEDICAL SYSTEMS', modelName: 'RHAPSODE', rows: 4, columns: 6, hasPixels: true };

describe('the burned-in text gate (DEID-2)', () => {
  test('holds Burned In Annotation YES, ultrasound, secondary capture, configured classes and models, detector findings', () => {
    assert.deepEqual(assessPixelTextRisk(ct), { hold: false });
    assert.equal(assessPixelTextRisk({ ...ct, hasPixels: false, burnedInAnnotation: 'YES' }).hold, false, 'no pixels, no text');
    const reason = (facts: Partial<PixelTextFacts>, policy = {}, found = 0): string | undefined => {
      const risk = assessPixelTextRisk({ ...ct, ...facts }, policy, Array.from({ length: found }, () => ({ x: 0, y: 0, width: 1, height: 1 })));
      return risk.hold ? risk.reason : undefined;
    };
    assert.equal(reason({ burnedInAnnotation: 'YES ' }), 'burned-in-annotation');
    assert.equal(reason({ sopClassUid: '1.2.840.10008.5.1.4.1.1.6.1', modality: 'US', burnedInAnnotation: 'NO' }), 'ultrasound', 'US is held even when it says NO');
    assert.equal(reason({ sopClassUid: '1.2.840.10008.5.1.4.1.1.7' }), 'secondary-capture');
    assert.equal(reason({ sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1' }, { extraSopClasses: ['1.2.840.10008.5.1.4.1.1.1.1'] }), 'configured-sop-class');
    assert.equal(reason({}, { deviceModels: [{ manufacturer: 'ge medical', model: 'rhapsode' }] }), 'configured-device-model');
    assert.equal(reason({}, { deviceModels: [{ manufacturer: 'Siemens', model: 'rhapsode' }] }), undefined);
    assert.equal(reason({}, {}, 2), 'detector');
  });

  test('mask rules match device model and image size', () => {
    const rule = { manufacturer: 'GE', model: 'RHAPSODE', rows: 4, columns: 6, regions: [{ x: 0, y: 0, width: 2, height: 1 }] };
    assert.equal(findMaskRule(ct, { masks: [rule] }), rule);
    assert.equal(findMaskRule({ ...ct, rows: 5 }, { masks: [rule] }), undefined);
    assert.equal(findMaskRule({ ...ct, modelName: 'OTHER' }, { masks: [rule] }), undefined);
  });
});

describe('rectangle masking of native pixel data', () => {
  const layout = (over: Partial<NativePixelLayout>): NativePixelLayout => ({ rows: 4, columns: 6, frames: 1, samplesPerPixel: 1, planarConfiguration: 0, bitsAllocated: 8, photometricInterpretation: 'MONOCHROME2', ...over });

  test('16-bit greyscale, two frames: exactly the rectangle of each frame becomes 0, clipped to the image', () => {
    const l = layout({ bitsAllocated: 16, frames: 2 });
    const pixels = new Uint8Array(4 * 6 * 2 * 2).fill(0xff);
    assert.equal(maskNativePixels(pixels, l, [{ x: 4, y: 2, width: 10, height: 1 }]), 2);
    const view = new DataView(pixels.buffer);
    for (let frame = 0; frame < 2; frame += 1) {
      for (let y = 0; y < 4; y += 1) {
        for (let x = 0; x < 6; x += 1) {
          const value = view.getUint16(frame * 48 + (y * 6 + x) * 2, true);
          assert.equal(value, y === 2 && x >= 4 ? 0 : 0xffff, `frame ${frame} (${x},${y})`);
        }
      }
    }
  });

  test('RGB by pixel and by plane', () => {
    for (const planarConfiguration of [0, 1]) {
      const l = layout({ samplesPerPixel: 3, planarConfiguration, photometricInterpretation: 'RGB' });
      const pixels = new Uint8Array(4 * 6 * 3).fill(9);
      maskNativePixels(pixels, l, [{ x: 1, y: 1, width: 2, height: 2 }]);
      const zeros = pixels.filter((b) => b === 0).length;
      assert.equal(zeros, 4 * 3, `planar ${planarConfiguration}`);
      const sample = (x: number, y: number, s: number): number => (planarConfiguration === 0 ? pixels[(y * 6 + x) * 3 + s] : pixels[s * 24 + y * 6 + x]) as number;
      assert.equal(sample(1, 1, 2), 0);
      assert.equal(sample(0, 1, 0), 9);
    }
  });

  test('what cannot be masked by whole pixels is said so', () => {
    assert.match(unmaskableLayout(layout({ bitsAllocated: 1 }), 100) ?? '', /bit-packed/);
    assert.match(unmaskableLayout(layout({ photometricInterpretation: 'YBR_FULL_422', samplesPerPixel: 3 }), 1000) ?? '', /subsampled/);
    assert.match(unmaskableLayout(layout({}), 10) ?? '', /shorter/);
    assert.equal(unmaskableLayout(layout({}), 24), undefined);
  });
});
