import PDFDocument from 'pdfkit';
import { csvRow } from '../../../platform/csv/csv.ts';
import type { DashboardsService } from './dashboards.service.ts';

type Executive = Awaited<ReturnType<DashboardsService['executive']>>;

/** Every cell through the platform's csvCell: categories are requester-chosen text. */
const row = (...cells: unknown[]) => csvRow(cells);

/** The executive report as CSV: one section per table, separated by a blank line. */
export function executiveCsv(d: Executive): string {
  const lines = [
    row('section', 'key', 'value', 'extra'),
    row('period', 'from', d.period.from, ''),
    row('period', 'to', d.period.to, ''),
    row('totals', 'created', d.totals.created, ''),
    row('totals', 'resolved', d.totals.resolved, ''),
    ...Object.entries(d.compliance).map(([k, c]) => row('compliance', k, c.percent ?? '', `${c.met} met / ${c.breached} breached`)),
    ...Object.entries(d.backlog).map(([k, v]) => row('backlog', k, v, '')),
    row('csat', 'average', d.csat.average ?? '', `${d.csat.responses} responses`),
    ...d.topCategories.map((c) => row('category', c.category, c.tickets, '')),
    ...d.volume.map((v) => row('volume', v.day, v.created, v.resolved)),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** The executive report as a one-page PDF (pdfkit, standard fonts: no files needed). */
export function executivePdf(d: Executive, orgName: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: 'Service desk report', Author: 'IMSOP' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(18).text(`Service desk report — ${orgName}`);
    doc.moveDown(0.3).fontSize(10).fillColor('#555').text(`${d.period.from.slice(0, 10)} to ${d.period.to.slice(0, 10)}`).fillColor('#000');
    const section = (title: string) => doc.moveDown(0.8).fontSize(13).text(title).moveDown(0.2).fontSize(10);
    section('Volume');
    doc.text(`Created: ${d.totals.created}    Resolved: ${d.totals.resolved}`);
    const max = Math.max(1, ...d.volume.map((v) => v.created));
    const x0 = doc.x;
    const y0 = doc.y + 4;
    const width = 480;
    const barW = d.volume.length ? Math.max(2, Math.floor(width / d.volume.length) - 1) : 0;
    d.volume.forEach((v, i) => {
      const h = Math.round((v.created / max) * 60);
      doc.rect(x0 + i * (barW + 1), y0 + 60 - h, barW, h).fill('#3b82f6');
    });
    doc.fillColor('#000').text('', x0, y0 + 70);
    section('SLA compliance');
    for (const [k, c] of Object.entries(d.compliance)) doc.text(`${k}: ${c.percent === null ? 'n/a' : `${c.percent}%`}  (${c.met} met, ${c.breached} breached)`);
    section('Backlog age (open tickets)');
    doc.text(`< 1 day: ${d.backlog.under1d}    1–3 days: ${d.backlog.from1to3d}    3–7 days: ${d.backlog.from3to7d}    > 7 days: ${d.backlog.over7d}`);
    doc.text(`Average age: ${d.backlog.averageAgeHours} h`);
    section('Customer satisfaction');
    doc.text(d.csat.average === null ? 'No responses yet.' : `${d.csat.average} / 5 from ${d.csat.responses} responses`);
    section('Top categories');
    for (const c of d.topCategories) doc.text(`${c.category}: ${c.tickets}`);
    doc.end();
  });
}
