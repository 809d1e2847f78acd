/** Body of `POST /api/v1/reports/exports`: an export the browser made, for the audit log. */
import { z } from 'zod';
import { isMonth } from '../report-extract.ts';

export const EXPORT_FORMATS = ['csv', 'xlsx', 'pdf'] as const;

export const exportBody = z.strictObject({
  format: z.enum(EXPORT_FORMATS),
  month: z.string().refine(isMonth, 'a month YYYY-MM'),
  file: z.string().min(1).max(200).regex(/^[^/\\]+$/, 'a file name without folders'),
  /** What the file holds (e.g. the breakdown shown), for the audit trail. */
  view: z.string().max(200).optional(),
});
export type ExportBody = z.infer<typeof exportBody>;
