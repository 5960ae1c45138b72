import type { Tx } from '../unit-of-work.ts';

/** A rectangle in stored-image pixels (the same shape as src/deid/pixel-text-risk.ts's PixelRegion). */
export interface ReviewRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PixelReviewRow {
  instanceId: string;
  decision: 'confirmed-clean' | 'masked';
  regions: ReviewRegion[] | null;
  reviewedBy: string;
  reviewedAt: Date;
}

/** Reviewers' decisions on pixels that may carry text (DEID-2); one per instance, the latest wins. */
export const pixelReviewRepository = {
  async save(tx: Tx, tenantId: string, row: PixelReviewRow): Promise<void> {
    const regions = row.regions === null ? null : JSON.stringify(row.regions);
    await tx.insertInto('pixel_reviews').values({
      instance_id: row.instanceId, tenant_id: tenantId, decision: row.decision, regions, reviewed_by: row.reviewedBy, reviewed_at: row.reviewedAt,
    }).onConflict((oc) => oc.column('instance_id').doUpdateSet({ decision: row.decision, regions, reviewed_by: row.reviewedBy, reviewed_at: row.reviewedAt })).execute();
  },

  async of(tx: Tx, tenantId: string, instanceIds: readonly string[]): Promise<Map<string, PixelReviewRow>> {
    if (instanceIds.length === 0) return new Map();
    const rows = await tx.selectFrom('pixel_reviews').selectAll().where('tenant_id', '=', tenantId).where('instance_id', 'in', [...instanceIds]).execute();
    return new Map(rows.map((r) => [r.instance_id, {
      instanceId: r.instance_id, decision: r.decision, regions: (r.regions ?? null) as ReviewRegion[] | null, reviewedBy: r.reviewed_by, reviewedAt: r.reviewed_at,
    }]));
  },
};
