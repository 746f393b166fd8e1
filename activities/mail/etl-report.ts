// The ETL's e-mails (nodemailer over SMTP_URL): the report of a run — each day's figures and each
// window's counts, as plain text and as an HTML table — and the failure mail with the reason.
import nodemailer from 'nodemailer';
import type { DayFigures, WindowReport } from '../../lib/jobs/etl-run';

interface MailSettings {
  smtpUrl: string;
  from: string;
  to: string;
}

export interface RunReport {
  workflowId: string;
  days: DayFigures[];
  windows: WindowReport[];
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function table(head: string[], rows: Array<Array<string | number>>): { text: string; html: string } {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: Array<string | number>) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const text = [line(head), ...rows.map(line)].join('\n');
  const th = head.map((h) => `<th style="text-align:left;padding:2px 8px">${escapeHtml(h)}</th>`).join('');
  const trs = rows
    .map((r) => `<tr>${r.map((c) => `<td style="padding:2px 8px">${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('');
  return { text, html: `<table border="1" cellspacing="0"><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>` };
}

function renderReport(report: RunReport) {
  const days = table(
    ['date', 'attempts', 'successful attempts', 'unique users'],
    report.days.map((d) => [d.date, d.attempts, d.successful, d.uniqueUsers]),
  );
  const windows = table(
    ['window', 'fetched', 'inserted', 'duplicates', 'rejected', 'download s', 'load s'],
    report.windows.map((w) => [
      w.day,
      w.fetched,
      w.inserted,
      w.duplicates,
      w.rejected,
      (w.downloadMs / 1000).toFixed(2),
      (w.loadMs / 1000).toFixed(2),
    ]),
  );
  const span = report.days.length > 1 ? `${report.days[0]!.date}..${report.days.at(-1)!.date}` : report.days[0]?.date;
  const total = report.days.reduce((n, d) => n + d.attempts, 0);
  return {
    subject: `Ferry daily ETL ${span}: ${total} attempts`,
    text: `Daily ETL report (${report.workflowId})\n\nPer day:\n${days.text}\n\nThis run:\n${windows.text}\n`,
    html: `<p>Daily ETL report (${escapeHtml(report.workflowId)})</p><h3>Per day</h3>${days.html}<h3>This run</h3>${windows.html}`,
  };
}

async function send(settings: MailSettings, mail: { subject: string; text: string; html: string }) {
  const transport = nodemailer.createTransport(settings.smtpUrl);
  try {
    const info = await transport.sendMail({ from: settings.from, to: settings.to, ...mail });
    return info.messageId;
  } finally {
    transport.close();
  }
}

export const sendReport = (settings: MailSettings, report: RunReport) => send(settings, renderReport(report));

export function sendFailure(settings: MailSettings, failure: { workflowId: string; window?: string; reason: string }) {
  const where = failure.window ? ` for ${failure.window}` : '';
  return send(settings, {
    subject: `Ferry daily ETL FAILED${where}`,
    text: `The daily ETL run ${failure.workflowId} failed${where}.\n\nReason: ${failure.reason}\n`,
    html: `<p>The daily ETL run ${escapeHtml(failure.workflowId)} failed${escapeHtml(where)}.</p><p><b>Reason:</b> ${escapeHtml(
      failure.reason,
    )}</p>`,
  });
}
