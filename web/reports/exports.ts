/**
 * Exports made in the browser from the loaded report: CSV, XLSX (exceljs, loaded only when an
 * export is asked for) and the printable page (print stylesheet → the browser's "save as PDF").
 * The server is told first (an audited POST); a refused notice means no file.
 */
import type { ReportApi } from './api.ts';
import { sheetsToCsv, type Sheet } from './report-view.ts';

export type ExportFormat = 'csv' | 'xlsx' | 'pdf';

/** Tells the server (audit log); throws when it refuses. */
export async function announceExport(api: ReportApi, format: ExportFormat, month: string, file: string, view: string): Promise<void> {
  await api.json('/api/v1/reports/exports', { method: 'POST', body: { format, month, file, view } });
}

function download(blob: Blob, file: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadCsv(sheets: Sheet[], title: string, file: string): void {
  download(new Blob([sheetsToCsv(sheets, title)], { type: 'text/csv;charset=utf-8' }), file);
}

/** Excel sheet names: at most 31 characters, none of []:*?/\ . */
function sheetName(name: string, used: Set<string>): string {
  let base = name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 28) || 'Sheet';
  let candidate = base;
  for (let i = 2; used.has(candidate); i++) candidate = `${base} ${i}`;
  used.add(candidate);
  return candidate;
}

export async function xlsxBytes(sheets: Sheet[], title: string): Promise<ArrayBuffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'wallboard reports';
  workbook.title = title;
  const used = new Set<string>();
  for (const sheet of sheets) {
    const ws = workbook.addWorksheet(sheetName(sheet.name, used));
    ws.addRow([title]).font = { bold: true };
    ws.addRow(sheet.header).font = { bold: true };
    sheet.rows.forEach((row, r) => {
      const added = ws.addRow(row.map((v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
      row.forEach((_, c) => {
        if (sheet.percent(r, c)) added.getCell(c + 1).numFmt = '0.0%';
        else if (typeof row[c] === 'number') added.getCell(c + 1).numFmt = '#,##0.##';
      });
    });
    ws.columns.forEach((column, i) => (column.width = i === 0 ? 24 : 16));
  }
  return (await workbook.xlsx.writeBuffer()) as ArrayBuffer;
}

export async function downloadXlsx(sheets: Sheet[], title: string, file: string): Promise<void> {
  const bytes = await xlsxBytes(sheets, title);
  download(new Blob([bytes], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), file);
}
