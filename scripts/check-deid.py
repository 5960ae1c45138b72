#!/usr/bin/python3
"""Independent checker of de-identified DICOM (issue 7): pydicom, not Clarus's code.

Reads DICOM PS3.15 Table E.1-1 from the same JSON the generator uses and verifies every output file,
attribute by attribute, against its original:

  - no attribute whose action is X remains; Z attributes are empty (or hold a replacement, which Z
    permits); D attributes hold non-empty values of their VR that differ from the original; combined
    codes accept any of their actions;
  - U attributes hold valid UIDs that differ from the original, the mapping is the same function in
    every file and every export (consistent within a study and across exports) and never maps two
    UIDs to one; no original UID of a U attribute appears anywhere in any output;
  - with Retain Longitudinal Modified Dates, every date of a patient moved by the same non-zero number
    of days; with Full Dates, dates are unchanged;
  - Patient ID is replaced, the same for every file of a patient and in every export;
  - no private attribute remains unless Retain Safe Private allows it (--safe-private);
  - the preamble is zero, the meta information agrees, Patient Identity Removed is YES, and
    De-identification Method and its Code Sequence name the profile and every option used.

Usage: /usr/bin/python3 scripts/check-deid.py --table TABLE.json --pairs PAIRS.json [--option NAME]...
       [--safe-private CREATOR:gggg,xxee]... [--allow-text TEXT]...
PAIRS.json: [{"original": "in.dcm", "outputs": ["export1/x.dcm", "export2/x.dcm"]}, ...]
Exit status 1 with one line per problem; 0 when every file passes.
"""
import argparse
import datetime
import json
import re
import sys

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

OPTIONS = {
    'retain-safe-private': ('rtnSafePrivOpt', '113111'),
    'retain-uids': ('rtnUIDsOpt', '113110'),
    'retain-device-identity': ('rtnDevIdOpt', '113109'),
    'retain-institution-identity': ('rtnInstIdOpt', '113112'),
    'retain-patient-characteristics': ('rtnPatCharsOpt', '113108'),
    'retain-longitudinal-full-dates': ('rtnLongFullDatesOpt', '113106'),
    'retain-longitudinal-modified-dates': ('rtnLongModifDatesOpt', '113107'),
    'clean-descriptors': ('cleanDescOpt', '113105'),
    'clean-structured-content': ('cleanStructContOpt', '113104'),
    'clean-graphics': ('cleanGraphOpt', '113103'),
}
STANDARD_UID_ROOT = '1.2.840.10008.'
UID_RE = re.compile(r'^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$')
VR_FORMATS = {
    'DA': re.compile(r'^\d{8}$'),
    'TM': re.compile(r'^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$'),
    'DT': re.compile(r'^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$'),
    'AS': re.compile(r'^\d{3}[DWMY]$'),
    'IS': re.compile(r'^\s*[+-]?\d+\s*$'),
    'DS': re.compile(r'^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$'),
}


class Table:
    """Table E.1-1: exact rows by (group, element), repeating-group rows, the private row."""

    def __init__(self, path):
        with open(path, encoding='utf-8') as f:
            rows = json.load(f)
        self.exact = {}
        self.masked = []
        self.private = None
        for row in rows:
            tag = row['tag'].upper()
            if tag.startswith('(GGGG'):
                self.private = row
                continue
            group, element = tag[1:5], tag[6:10]
            if 'X' in group + element:
                self.masked.append((group, element, row))
            else:
                self.exact[(int(group, 16), int(element, 16))] = row
        self.count = len(rows)

    def row(self, group, element):
        row = self.exact.get((group, element))
        if row is not None:
            return row
        for g, e, r in self.masked:
            if all(p == 'X' or p == a for p, a in zip(g + e, '%04X%04X' % (group, element))):
                return r
        return None


def allowed_actions(row, columns):
    """The set of actions the row permits under the enabled option columns (an option overrides)."""
    by_option = [row[c] for c in columns if c in row]
    if 'C' in by_option:
        return {'C'}, [c for c in columns if row.get(c) == 'C']
    if 'K' in by_option:
        return {'K'}, []
    return set(row['basicProfile'].replace('*', '').split('/')), []


def text(value):
    if value is None:
        return ''
    if isinstance(value, (list, tuple)) or type(value).__name__ == 'MultiValue':
        return '\\'.join(text(v) for v in value)
    if isinstance(value, bytes):
        return value.decode('latin-1')
    return str(value)


def is_empty(elem):
    value = elem.value
    if elem.VR == 'SQ':
        return len(value) == 0
    return value is None or value == '' or value == b'' or (hasattr(value, '__len__') and len(value) == 0)


def values_of(elem):
    value = elem.value
    if value is None:
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == 'MultiValue':
        return [text(v) for v in value]
    return [text(value)]


def vr_valid(elem):
    if elem.VR == 'SQ':
        return True
    if is_empty(elem):
        return False
    if elem.VR == 'UI':
        return all(UID_RE.match(v.rstrip('\0')) and len(v) <= 64 for v in values_of(elem))
    fmt = VR_FORMATS.get(elem.VR)
    if fmt is not None:
        return all(fmt.match(v.strip()) for v in values_of(elem))
    return True


def parse_date(value):
    value = value.strip()
    if not re.match(r'^\d{8}', value):
        return None
    try:
        return datetime.date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


class Checker:
    def __init__(self, table, options, safe_private, allow_text):
        self.table = table
        self.options = options
        self.columns = [OPTIONS[o][0] for o in options]
        self.safe_private = safe_private
        self.allow_text = {re.sub(r'\s+', ' ', t.strip()).upper() for t in allow_text}
        self.problems = []
        self.uid_map = {}          # original UID -> replacement
        self.uid_reverse = {}      # replacement -> original
        self.original_uids = set() # UIDs of U attributes in originals
        self.shifts = {}           # original patient id -> set of day deltas
        self.pseudonyms = {}       # original patient id -> set of output patient ids
        self.output_uid_values = []
        self.files = 0

    def problem(self, where, message):
        self.problems.append('%s: %s' % (where, message))

    # ---------------------------------------------------------------- file level

    def check_pair(self, original_path, output_paths):
        original = pydicom.dcmread(original_path, force=True)
        patient = text(original.get('PatientID', '')) or ('study:' + text(original.get('StudyInstanceUID', '')))
        self.collect_original_uids(original)
        for path in output_paths:
            self.files += 1
            try:
                output = pydicom.dcmread(path)
            except Exception as error:  # noqa: BLE001 - any failure to read is a problem to report
                self.problem(path, 'not readable by pydicom: %s' % error)
                continue
            with open(path, 'rb') as f:
                if f.read(128) != b'\0' * 128:
                    self.problem(path, 'preamble is not zeroed')
            self.check_meta(path, output)
            self.check_deid_attributes(path, output)
            self.walk(path, output, original, patient, '')
            out_id = text(output.get('PatientID', ''))
            if not out_id or out_id == text(original.get('PatientID', '')):
                self.problem(path, 'Patient ID not replaced')
            self.pseudonyms.setdefault(patient, set()).add(out_id)

    def collect_original_uids(self, ds):
        for elem in ds:
            if elem.VR == 'SQ':
                for item in elem.value:
                    self.collect_original_uids(item)
                continue
            row = self.table.row(elem.tag.group, elem.tag.element) if not elem.tag.is_private else None
            if row is not None and 'U' in row['basicProfile'] and elem.VR == 'UI' and 'rtnUIDsOpt' not in self.columns:
                for v in values_of(elem):
                    v = v.strip().rstrip('\0')
                    # A UID without a dot ("0", seen in test data) cannot identify anything.
                    if '.' in v and not v.startswith(STANDARD_UID_ROOT):
                        self.original_uids.add(v)

    def check_meta(self, path, ds):
        meta = ds.file_meta
        if text(meta.get('MediaStorageSOPInstanceUID', '')) != text(ds.get('SOPInstanceUID', '')):
            self.problem(path, '(0002,0003) differs from SOP Instance UID')
        for elem in meta:
            if elem.tag.element in (0x0016, 0x0017, 0x0018, 0x0100, 0x0102):
                self.problem(path, 'file meta information keeps %s' % elem.tag)

    def check_deid_attributes(self, path, ds):
        removed = ds.get((0x0012, 0x0062), None)
        if removed is None or text(removed.value) != 'YES':
            self.problem(path, 'Patient Identity Removed (0012,0062) is not YES')
        if (0x0012, 0x0063) not in ds or is_empty(ds[0x0012, 0x0063]):
            self.problem(path, 'De-identification Method (0012,0063) missing')
        codes = set()
        if (0x0012, 0x0064) in ds:
            for item in ds[0x0012, 0x0064].value:
                if text(item.get('CodingSchemeDesignator', '')) == 'DCM':
                    codes.add(text(item.get('CodeValue', '')))
        expected = {'113100'} | {OPTIONS[o][1] for o in self.options}
        if not expected <= codes:
            self.problem(path, 'De-identification Method Code Sequence lacks %s' % sorted(expected - codes))
        extra = codes - expected - {'113101'}
        if extra:
            self.problem(path, 'De-identification Method Code Sequence claims options not used: %s' % sorted(extra))

    # ---------------------------------------------------------------- element level

    def private_allowed(self, ds, elem):
        if 'rtnSafePrivOpt' not in self.columns:
            return False
        group, element = elem.tag.group, elem.tag.element
        if 0x0010 <= element <= 0x00FF:
            return any(g == group and c == text(elem.value).strip() for c, g, _ in self.safe_private)
        creator_tag = (group, element >> 8)
        if creator_tag not in ds:
            return False
        creator = text(ds[creator_tag].value).strip()
        return (creator, group, element & 0xFF) in self.safe_private

    def walk(self, path, out, orig, patient, where):
        for elem in out:
            tag = elem.tag
            here = '%s(%04X,%04X)' % (where, tag.group, tag.element)
            if tag.element == 0 and tag.group != 0x0002:
                continue
            if tag.is_private:
                if not self.private_allowed(out, elem):
                    self.problem(path, '%s private attribute remains' % here)
                elif elem.VR == 'SQ':
                    for item in elem.value:
                        self.walk(path, item, None, patient, here + '>')
                continue
            original = orig[tag] if orig is not None and tag in orig else None
            if elem.VR == 'UI' and not is_empty(elem):
                self.output_uid_values.append((here, values_of(elem)))
            row = self.table.row(tag.group, tag.element)
            if row is not None:
                self.check_element(path, here, elem, original, row, patient)
            if elem.VR == 'SQ':
                orig_items = original.value if original is not None and original.VR == 'SQ' and len(original.value) == len(elem.value) else None
                for i, item in enumerate(elem.value):
                    self.walk(path, item, orig_items[i] if orig_items is not None else None, patient, '%s[%d]>' % (here, i))
        if orig is not None and where == '':
            # D requires a replacement, not a removal.
            for elem in orig:
                if elem.tag.is_private or elem.tag in out:
                    continue
                row = self.table.row(elem.tag.group, elem.tag.element)
                if row is not None and not is_empty(elem):
                    actions, _ = allowed_actions(row, self.columns)
                    if actions == {'D'}:
                        self.problem(path, '(%04X,%04X) %s: D attribute was removed' % (elem.tag.group, elem.tag.element, row['name']))

    def check_element(self, path, here, elem, original, row, patient):
        actions, clean_by = allowed_actions(row, self.columns)
        name = row['name']
        if actions == {'X'}:
            self.problem(path, '%s %s: X attribute remains' % (here, name))
            return
        if actions == {'K'}:
            if original is not None and elem.VR != 'SQ' and values_of(elem) != values_of(original):
                self.problem(path, '%s %s: K attribute changed' % (here, name))
            return
        if actions == {'C'}:
            self.check_clean(path, here, elem, original, row, clean_by, patient)
            return
        if elem.VR == 'SQ':
            return  # D/Z/U on a sequence: its content is checked element by element
        if is_empty(elem):
            if 'Z' not in actions:
                self.problem(path, '%s %s: empty, but %s does not allow zero length' % (here, name, row['basicProfile']))
            return
        if not ({'D', 'U'} & actions) and not ('Z' in actions):
            self.problem(path, '%s %s: holds a value, but %s' % (here, name, row['basicProfile']))
            return
        if not vr_valid(elem):
            self.problem(path, '%s %s: value is not a valid %s' % (here, name, elem.VR))
        if 'U' in actions or elem.VR == 'UI':
            self.check_uid(path, here, name, elem, original)
        elif original is not None and not is_empty(original) and values_of(elem) == values_of(original):
            self.problem(path, '%s %s: value not replaced' % (here, name))

    def check_uid(self, path, here, name, elem, original):
        new = [v.strip().rstrip('\0') for v in values_of(elem)]
        for v in new:
            if not v.startswith(STANDARD_UID_ROOT) and v in self.original_uids:
                self.problem(path, '%s %s: an original UID remains' % (here, name))
        if original is None or original.VR != 'UI':
            return
        old = [v.strip().rstrip('\0') for v in values_of(original)]
        if len(old) != len(new):
            self.problem(path, '%s %s: number of UIDs changed' % (here, name))
            return
        for o, n in zip(old, new):
            if not o or o.startswith(STANDARD_UID_ROOT):
                continue
            if o == n:
                self.problem(path, '%s %s: UID not replaced' % (here, name))
            if self.uid_map.setdefault(o, n) != n:
                self.problem(path, '%s %s: UID replaced inconsistently (across files or exports)' % (here, name))
            if self.uid_reverse.setdefault(n, o) != o:
                self.problem(path, '%s %s: two UIDs replaced by the same one' % (here, name))

    def check_clean(self, path, here, elem, original, row, clean_by, patient):
        name = row['name']
        if 'rtnLongModifDatesOpt' in clean_by and elem.VR in ('DA', 'DT', 'TM'):
            if elem.VR == 'TM' or original is None or is_empty(original):
                return
            if is_empty(elem):
                return  # could not be shifted (a partial date): the Basic Profile action applied
            for o, n in zip(values_of(original), values_of(elem)):
                od, nd = parse_date(o), parse_date(n)
                if od is None or nd is None:
                    continue
                delta = (od - nd).days
                if delta == 0:
                    self.problem(path, '%s %s: date not shifted' % (here, name))
                self.shifts.setdefault(patient, set()).add(delta)
            return
        if elem.VR == 'SQ':
            return
        if elem.VR == 'AE' and 'rtnDevIdOpt' in clean_by:
            if original is not None and values_of(elem) == values_of(original) and not is_empty(elem):
                self.problem(path, '%s %s: AE title not replaced' % (here, name))
            return
        value = re.sub(r'\s+', ' ', text(elem.value).strip()).upper()
        if value and value not in self.allow_text and value != 'ANONYMIZED':
            self.problem(path, '%s %s: cleaned text not on the allow-list' % (here, name))

    # ---------------------------------------------------------------- across files

    def finish(self):
        for where, values in self.output_uid_values:
            for v in values:
                v = v.strip().rstrip('\0')
                if v in self.original_uids and not v.startswith(STANDARD_UID_ROOT):
                    self.problem('output', '%s holds an original UID' % where)
        for patient, deltas in self.shifts.items():
            if len(deltas) > 1:
                self.problem('dates', 'a patient\'s dates moved by different amounts: %s' % sorted(deltas))
        if 'rtnLongModifDatesOpt' in self.columns and self.files > 0 and not self.shifts:
            self.problem('dates', 'Modified Dates option on, but no shifted date was found')
        for patient, outputs in self.pseudonyms.items():
            if len(outputs) > 1:
                self.problem('patients', 'one patient got %d different Patient IDs' % len(outputs))


def parse_safe_private(entry):
    match = re.match(r'^(.{1,64}):([0-9A-Fa-f]{4}),[xX]{2}([0-9A-Fa-f]{2})$', entry.strip())
    if not match:
        raise SystemExit('bad --safe-private %r' % entry)
    return (match.group(1).strip(), int(match.group(2), 16), int(match.group(3), 16))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--table', required=True)
    parser.add_argument('--pairs', required=True)
    parser.add_argument('--option', action='append', default=[], choices=sorted(OPTIONS))
    parser.add_argument('--safe-private', action='append', default=[])
    parser.add_argument('--allow-text', action='append', default=[])
    args = parser.parse_args()
    table = Table(args.table)
    checker = Checker(table, args.option, {parse_safe_private(s) for s in args.safe_private}, args.allow_text)
    with open(args.pairs, encoding='utf-8') as f:
        pairs = json.load(f)
    for pair in pairs:
        checker.check_pair(pair['original'], pair['outputs'])
    checker.finish()
    for line in checker.problems:
        print(line)
    if checker.problems:
        print('%d problem(s) in %d file(s)' % (len(checker.problems), checker.files))
        return 1
    print('%d file(s) checked against PS3.15 Table E.1-1 (%d rows): no problems' % (checker.files, table.count))
    return 0


if __name__ == '__main__':
    sys.exit(main())
