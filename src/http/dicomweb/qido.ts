import type { Services } from '../../compose.ts';
import type { Principal, RequestOrigin } from '../../services/context.ts';
import type { InstanceView, SeriesView, StudyView } from '../../services/images/image-query.service.ts';
import { sortedByTag, type DicomJson } from './dicom-json.ts';
import { dicomSeriesOf, findAttribute, qidoAttributes, type QidoAttribute, type QidoContext, type QidoLevel } from './qido-attributes.ts';
import type { QidoPlan } from './qido-query.ts';

/** Where a search looks (PS3.18 §10.6.1): all studies/series/instances, or those of one study or series. */
export interface QidoTarget {
  studyUid?: string;
  seriesUid?: string;
}

export interface QidoAnswer {
  results: DicomJson[];
  /** Warnings for the Warning header (PS3.18 §8.3.4: code 299), e.g. a capped limit. */
  warnings: string[];
}

const rank: Record<QidoLevel, number> = { study: 0, series: 1, instance: 2 };

/**
 * The attributes of each result (§10.6.3.3): the required ones of the level; those of the levels
 * above when the search is not inside one study (or series); everything supported for
 * `includefield=all`; plus the include fields and match keys. Ordered study → series → instance, so
 * that a tag present at several levels (Retrieve URL) takes the most specific value.
 */
function attributesFor(plan: QidoPlan, target: QidoTarget): QidoAttribute[] {
  const chosen = new Set<QidoAttribute>();
  const levelsAbove = target.seriesUid ? [] : target.studyUid ? (plan.level === 'instance' ? ['series'] : []) : ['study', 'series'];
  for (const a of qidoAttributes) {
    if (rank[a.level] > rank[plan.level]) continue;
    if ((a.required && (a.level === plan.level || levelsAbove.includes(a.level))) || plan.includeAll) chosen.add(a);
  }
  for (const tag of plan.included) {
    const a = findAttribute(tag, plan.level);
    if (a) chosen.add(a);
  }
  return [...chosen].sort((a, b) => rank[a.level] - rank[b.level]);
}

function render(attributes: QidoAttribute[], context: QidoContext): DicomJson {
  const out: DicomJson = {};
  for (const a of attributes) {
    if (a.level === 'series' && !context.series) continue;
    if (a.level === 'instance' && !context.instance) continue;
    out[a.tag] = a.value(context);
  }
  return sortedByTag(out);
}

/**
 * Runs a planned QIDO-RS search: the service finds studies through blind indexes and tests the rest
 * after decryption; results are flattened to the level, then `offset` and `limit` apply to them.
 * Empty results answer 200 with `[]` (the standard allows 204 too; an empty array is simpler to use).
 */
export async function runQido(services: Services, principal: Principal, origin: RequestOrigin, plan: QidoPlan, target: QidoTarget, base: string): Promise<QidoAnswer> {
  const filter = { ...plan.filter };
  if (target.studyUid) {
    if (filter.studyInstanceUid && filter.studyInstanceUid !== target.studyUid) return { results: [], warnings: [] };
    filter.studyInstanceUid = target.studyUid;
  }
  if (target.seriesUid) {
    if (filter.seriesInstanceUid && filter.seriesInstanceUid !== target.seriesUid) return { results: [], warnings: [] };
    filter.seriesInstanceUid = target.seriesUid;
  }
  const instanceOk = (i: InstanceView) => plan.instanceTests.every((t) => t(i));
  const seriesOk = (s: SeriesView) => (!target.seriesUid || s.seriesInstanceUid === target.seriesUid) && plan.seriesTests.every((t) => t(s))
    && (plan.level !== 'instance' || s.instances.some(instanceOk));
  const studyOk = (study: StudyView) => (!target.studyUid || study.studyInstanceUid === target.studyUid) && plan.studyTests.every((t) => t(study))
    && dicomSeriesOf(study).some((s) => plan.level === 'study' || seriesOk(s));
  // Studies are paged by the database unless something must be tested after decryption; below the
  // study level every study counted gives at least one result, so offset + limit studies suffice.
  const tested = plan.level !== 'study' || plan.studyTests.length > 0 || target.studyUid !== undefined;
  const { studies, complete } = await services.images.searchStudies(principal, {
    ...filter,
    limit: plan.level === 'study' ? plan.limit : plan.offset + plan.limit,
    offset: plan.level === 'study' ? plan.offset : 0,
    match: tested ? studyOk : undefined,
  }, origin);
  const attributes = attributesFor(plan, target);
  let results: DicomJson[];
  if (plan.level === 'study') {
    results = studies.filter((s) => dicomSeriesOf(s).length > 0).map((study) => render(attributes, { base, study }));
  } else {
    const contexts: QidoContext[] = studies.flatMap((study) => dicomSeriesOf(study).filter(seriesOk).flatMap((series): QidoContext[] => (plan.level === 'series'
      ? [{ base, study, series }]
      : series.instances.filter(instanceOk).map((instance) => ({ base, study, series, instance })))));
    results = contexts.slice(plan.offset, plan.offset + plan.limit).map((c) => render(attributes, c));
  }
  const warnings: string[] = [];
  if (plan.limitCapped) warnings.push(`299 clarus "The number of results exceeded the maximum supported by the server (${plan.limit}). Additional results can be requested."`);
  if (!complete) warnings.push('299 clarus "The search was stopped after reading the maximum number of studies; narrow it with matching keys that Clarus indexes."');
  return { results, warnings };
}
