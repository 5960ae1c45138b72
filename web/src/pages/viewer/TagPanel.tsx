import { useEffect, useId, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import { type DicomJson, type DicomJsonElement, getTags } from '../../api/images';
import { ErrorMessage } from '../../components/ErrorMessage';

type Tags = { dataSet: DicomJson; keywords: Record<string, string> };

/** `(GGGG,EEEE)` from the model's `GGGGEEEE`. */
function tagLabel(tag: string): string {
  return `(${tag.slice(0, 4)},${tag.slice(4)})`;
}

function valueText(element: DicomJsonElement): string {
  if (element.InlineBinary !== undefined) return `${Math.floor((element.InlineBinary.length * 3) / 4)} bytes of binary data`;
  if (element.vr === 'SQ') return `${element.Value?.length ?? 0} item(s)`;
  return (element.Value ?? [])
    .map((v) => (v !== null && typeof v === 'object' && 'Alphabetic' in v ? String(v.Alphabetic) : v === null ? '' : String(v as string | number)))
    .join(' \\ ');
}

function matches(tag: string, keyword: string | undefined, filter: string): boolean {
  const needle = filter.trim().toLowerCase();
  return needle === '' || tag.toLowerCase().includes(needle.replace(/[(),]/gu, '')) || (keyword ?? '').toLowerCase().includes(needle);
}

/** Rows of a data set; sequence items nest under a disclosure. */
function Rows({ dataSet, keywords, filter }: { dataSet: DicomJson; keywords: Record<string, string>; filter: string }) {
  return (
    <>
      {Object.entries(dataSet).filter(([tag]) => matches(tag, keywords[tag], filter)).map(([tag, element]) => (
        <tr key={tag} data-testid="tag-row">
          <td className="tag-code">{tagLabel(tag)}</td>
          <td>{keywords[tag] ?? 'private / unknown'}</td>
          <td>{element.vr}</td>
          <td className="tag-value">
            {element.vr === 'SQ' && (element.Value?.length ?? 0) > 0 ? (
              <details>
                <summary>{valueText(element)}</summary>
                {(element.Value ?? []).map((item, index) => (
                  <table key={index} className="table tag-table tag-table-nested">
                    <caption>Item {index + 1}</caption>
                    <tbody>
                      <Rows dataSet={item as DicomJson} keywords={keywords} filter="" />
                    </tbody>
                  </table>
                ))}
              </details>
            ) : valueText(element)}
          </td>
        </tr>
      ))}
    </>
  );
}

/** The DICOM data set of one instance (Administrators, Radiologists); reading it is an audited view. */
export function TagPanel({ instanceId }: { instanceId: string }) {
  const [tags, setTags] = useState<Tags | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [filter, setFilter] = useState('');
  const filterId = useId();

  useEffect(() => {
    let current = true;
    setTags(null);
    getTags(instanceId).then(
      (found) => current && setTags(found),
      (caught: unknown) => current && setError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [instanceId]);

  return (
    <section className="panel tag-panel" aria-labelledby="tags-title" data-testid="tag-panel">
      <h2 id="tags-title">DICOM tags</h2>
      <ErrorMessage error={error} />
      {tags === null && error === null && <p role="status">Loading the tags…</p>}
      {tags !== null && (
        <>
          <div className="field">
            <label htmlFor={filterId}>Filter by tag or keyword</label>
            <input id={filterId} type="search" value={filter} onChange={(event) => setFilter(event.currentTarget.value)} data-testid="tag-filter" />
          </div>
          <div className="table-wrap tag-scroll">
            <table className="table tag-table">
              <thead>
                <tr><th scope="col">Tag</th><th scope="col">Keyword</th><th scope="col">VR</th><th scope="col">Value</th></tr>
              </thead>
              <tbody>
                <Rows dataSet={tags.dataSet} keywords={tags.keywords} filter={filter} />
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
