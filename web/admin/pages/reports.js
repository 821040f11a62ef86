// Reports: an organization's figures for a date range (GET /api/reports/summary,
// docs/reports.md) as a table (the organization, then one row per operator),
// the CSAT distribution as a bar chart with its table, and the client messages
// by weekday × hour (GET /api/reports/heatmap) as a shaded table with a chart of
// the messages by hour. The charts are uPlot, which the build copies into
// /admin/vendor/ (scripts/vendor.js); without it the page says so and keeps its
// tables, which carry every number the charts draw. Each table downloads as the
// server's own CSV: the same request with Accept: text/csv, saved from a blob.
import { t, addStrings, getLang } from '../i18n.js';
import { el, api, guard, field, state, orgChoice } from '../lib.js';

addStrings({
  en: {
    reports: 'Reports', from: 'From', to: 'To', operator: 'Operator', allOperators: 'All operators', show: 'Show',
    zoneNote: 'The dates are days in the organization\'s time zone (the time zone of its business hours, else UTC), ' +
      'not your browser\'s.',
    rangeIs: 'Days in {tz}: from {start} to {end} UTC ({events} events read).',
    figures: 'Figures', csat: 'Customer satisfaction (CSAT)', heatmap: 'Client messages by weekday and hour',
    downloadCsv: 'Download CSV', csvOf: 'Download CSV: {what}', who: 'Who', orgRow: 'Organization',
    started: 'Started', closed: 'Closed', reopened: 'Reopened', msgIn: 'Messages in', msgOut: 'Messages out',
    queueMed: 'Queue median', queueP90: 'Queue p90', frMed: 'First response median', frP90: 'First response p90',
    resMed: 'Resolution median', resP90: 'Resolution p90', csatAvg: 'CSAT average', csatCount: 'CSAT ratings',
    timesNote: 'Times are h:mm:ss of wall-clock time (business hours are not subtracted); median and p90 by ' +
      'nearest rank; — means no sample.',
    rating: 'Rating', ratings: 'Ratings', hour: 'Hour', allDays: 'All days',
    csatChart: 'Bar chart of the CSAT ratings 1 to 5 of the organization; the table next to it has the numbers.',
    hourChart: 'Bar chart of the client messages by hour of the day, all weekdays together; the "All days" row ' +
      'of the table below has the numbers.',
    heatNote: 'The organization\'s client messages (every operator), by the hour they were sent in its time zone.',
    noCharts: 'The charts are not available: this server has no copy of uPlot (the build copies it when node ' +
      'and npm ci have run). The tables have every figure.',
  },
  uk: {
    reports: 'Звіти', from: 'Від', to: 'До', operator: 'Оператор', allOperators: 'Усі оператори', show: 'Показати',
    zoneNote: 'Дати — це дні в часовому поясі організації (поясі її робочих годин, інакше UTC), а не вашого ' +
      'браузера.',
    rangeIs: 'Дні в {tz}: від {start} до {end} UTC (прочитано подій: {events}).',
    figures: 'Показники', csat: 'Задоволеність клієнтів (CSAT)', heatmap: 'Повідомлення клієнтів за днями й годинами',
    downloadCsv: 'Завантажити CSV', csvOf: 'Завантажити CSV: {what}', who: 'Хто', orgRow: 'Організація',
    started: 'Розпочато', closed: 'Закрито', reopened: 'Відновлено', msgIn: 'Вхідні повідомлення',
    msgOut: 'Вихідні повідомлення', queueMed: 'Черга, медіана', queueP90: 'Черга, p90',
    frMed: 'Перша відповідь, медіана', frP90: 'Перша відповідь, p90', resMed: 'Вирішення, медіана',
    resP90: 'Вирішення, p90', csatAvg: 'CSAT, середнє', csatCount: 'CSAT, оцінок',
    timesNote: 'Час — г:хх:сс за годинником (неробочі години не віднімаються); медіана й p90 за найближчим ' +
      'рангом; — означає, що вибірки немає.',
    rating: 'Оцінка', ratings: 'Оцінок', hour: 'Година', allDays: 'Усі дні',
    csatChart: 'Стовпчикова діаграма оцінок CSAT від 1 до 5 організації; числа — в таблиці поруч.',
    hourChart: 'Стовпчикова діаграма повідомлень клієнтів за годинами доби, усі дні тижня разом; числа — в рядку ' +
      '«Усі дні» таблиці нижче.',
    heatNote: 'Повідомлення клієнтів організації (усіх операторів) за годиною надсилання в її часовому поясі.',
    noCharts: 'Діаграми недоступні: на цьому сервері немає копії uPlot (збирання копіює її, коли є node і виконано ' +
      'npm ci). Таблиці містять усі показники.',
  },
});

export default { id: 'reports', label: 'reports', render: pageReports };

/* The range and operator shown, kept across re-renders (an organization change re-renders the page). */
const shown = { org: null, from: '', to: '', op: '' };

const ymd = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

async function pageReports(main) {
  const { picker } = await orgChoice('rep-org');
  main.append(el('h2', { text: t('reports') }));
  if (!picker) { main.append(el('p', { text: t('chooseOrg') })); return; }
  if (shown.org !== state.org) { shown.org = state.org; shown.op = ''; }
  if (!shown.from) { // the last 7 days, by the browser's calendar
    const now = new Date();
    shown.to = ymd(now);
    shown.from = ymd(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 6));
  }
  const ops = await api('GET', `/api/operator?organizationId=${state.org}&includeDeleted=true`);
  const names = new Map(ops.map((o) => [o.id, o.name]));
  const opSel = el('select', { name: 'op', id: 'rep-op' }, el('option', { value: '' }, t('allOperators')),
    ops.map((o) => el('option', { value: o.id, selected: String(o.id) === shown.op }, o.name)));
  const form = el('form', { class: 'inline', id: 'rep-form' }, picker,
    field(t('from'), { type: 'date', name: 'from', id: 'rep-from', value: shown.from, required: true }),
    field(t('to'), { type: 'date', name: 'to', id: 'rep-to', value: shown.to, required: true }),
    el('label', {}, t('operator'), opSel), el('button', { class: 'primary', text: t('show') }));
  const out = el('div', { id: 'rep-out' });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    Object.assign(shown, { from: form.elements.from.value, to: form.elements.to.value, op: opSel.value });
    await showReport(out, names);
  }); });
  main.append(form, el('p', { class: 'muted', id: 'rep-zone-note', text: t('zoneNote') }), out);
  await showReport(out, names);
}

async function showReport(out, names) {
  const q = `organizationId=${shown.org}&from=${shown.from}&to=${shown.to}`;
  const sumPath = `/api/reports/summary?${q}${shown.op ? `&operatorId=${shown.op}` : ''}`;
  const heatPath = `/api/reports/heatmap?${q}`;
  out.setAttribute('aria-busy', 'true');
  try {
    const [sum, heat, U] = await Promise.all([api('GET', sumPath), api('GET', heatPath), loadUPlot()]);
    const csatHost = el('div', { class: 'chart-host', id: 'csat-chart', role: 'img', 'aria-label': t('csatChart') });
    const hourHost = el('div', { class: 'chart-host', id: 'hour-chart', role: 'img', 'aria-label': t('hourChart') });
    const tag = `${shown.org}-${shown.from}-${shown.to}`;
    out.replaceChildren(...[
      U ? null : el('p', { class: 'error', id: 'rep-nocharts', text: t('noCharts') }),
      el('p', { id: 'rep-range', text: t('rangeIs', { tz: sum.timeZone, start: utc(sum.rangeStart), end: utc(sum.rangeEnd),
        events: sum.eventsRead }) }),
      section('rep-figures', t('figures'), csvButton('csv-summary', t('figures'), sumPath, `chathub-summary-${tag}.csv`),
        figuresTable(sum, names), el('p', { class: 'muted', text: t('timesNote') }),
        el('h4', { text: t('csat') }),
        el('div', { class: 'chart-pair' }, U ? el('figure', { class: 'chart' }, csatHost) : null, csatTable(sum))),
      section('rep-heat', t('heatmap'), csvButton('csv-heatmap', t('heatmap'), heatPath, `chathub-heatmap-${tag}.csv`),
        el('p', { class: 'muted', text: t('heatNote') }), U ? el('figure', { class: 'chart' }, hourHost) : null,
        heatTable(heat.counts))].filter(Boolean));
    if (U) {
      const dist = sum.organization.csat.distribution;
      barChart(U, csatHost, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5].map((r) => dist[r]), t('ratings'));
      const hours = Array.from({ length: 24 }, (_, h) => h);
      barChart(U, hourHost, hours, hours.map((h) => heat.counts.reduce((a, day) => a + day[h], 0)), t('msgIn'));
    }
  } finally { out.removeAttribute('aria-busy'); }
}

function section(id, title, button, ...body) {
  return el('section', { id, 'aria-labelledby': `${id}-h` },
    el('div', { class: 'report-h' }, el('h3', { id: `${id}-h`, text: title }), button), ...body);
}

/* A table in a scrollable region the keyboard can reach (it holds no control of its own). */
function wrapTable(label, tbl) {
  return el('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label }, tbl);
}

/* An instant of the API (ISO, UTC) as "YYYY-MM-DD HH:MM". */
const utc = (iso) => iso.slice(0, 16).replace('T', ' ');
const hms = (s) => (s == null ? '—'
  : `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`);
const num = (v) => (v == null ? '—' : String(v));

/* The columns of the figures table: label key, the figure's dotted JSON name, its formatting. */
const COLS = [
  ['started', 'conversationsStarted', num], ['closed', 'conversationsClosed', num],
  ['reopened', 'conversationsReopened', num], ['msgIn', 'messagesIn', num], ['msgOut', 'messagesOut', num],
  ['queueMed', 'timeInQueue.median', hms], ['queueP90', 'timeInQueue.p90', hms],
  ['frMed', 'firstResponseTime.median', hms], ['frP90', 'firstResponseTime.p90', hms],
  ['resMed', 'resolutionTime.median', hms], ['resP90', 'resolutionTime.p90', hms],
  ['csatAvg', 'csat.average', num], ['csatCount', 'csat.count', num],
];
const pick = (obj, dotted) => dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

function figuresTable(sum, names) {
  const row = (head, figs, attrs) => el('tr', attrs, el('th', { scope: 'row', text: head }),
    COLS.map(([, name, fmt]) => el('td', { 'data-figure': name }, fmt(pick(figs, name)))));
  return wrapTable(t('figures'), el('table', { id: 'rep-figures-table' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('who') }),
      COLS.map(([k]) => el('th', { scope: 'col', text: t(k) })))),
    el('tbody', {}, row(t('orgRow'), sum.organization, { 'data-scope': 'organization' }),
      sum.operators.map((o) => row(`${names.get(o.operatorId) ?? ''} (#${o.operatorId})`, o,
        { 'data-operator-id': o.operatorId })))));
}

function csatTable(sum) {
  const dist = sum.organization.csat.distribution;
  return wrapTable(t('csat'), el('table', { id: 'rep-csat-table', class: 'narrow' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('rating') }), el('th', { scope: 'col', text: t('ratings') }))),
    el('tbody', {}, [1, 2, 3, 4, 5].map((r) => el('tr', {}, el('th', { scope: 'row', text: String(r) }),
      el('td', { 'data-rating': r }, String(dist[r])))))));
}

/* Weekday names in the page's language, Monday first (1 January 2024 was a Monday). */
const weekdays = () => Array.from({ length: 7 }, (_, d) => new Intl.DateTimeFormat(getLang(),
  { weekday: 'short', timeZone: 'UTC' }).format(Date.UTC(2024, 0, 1 + d)));

function heatTable(counts) {
  const max = Math.max(1, ...counts.flat());
  const cell = (n, attrs) => {
    const td = el('td', attrs, String(n));
    // CSSOM, which the page's CSP allows (no style attribute): a shade of the accent colour by count
    if (n) td.style.backgroundColor = `color-mix(in srgb, var(--accent) ${Math.round(8 + (32 * n) / max)}%, transparent)`;
    else td.classList.add('zero');
    return td;
  };
  const hours = Array.from({ length: 24 }, (_, h) => h);
  const days = weekdays();
  return wrapTable(t('heatmap'), el('table', { id: 'rep-heat-table', class: 'heat' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('hour') }),
      hours.map((h) => el('th', { scope: 'col', text: String(h) })))),
    el('tbody', {}, counts.map((row, d) => el('tr', {}, el('th', { scope: 'row', text: days[d] }),
      row.map((n, h) => cell(n, { 'data-day': d, 'data-hour': h }))))),
    el('tfoot', {}, el('tr', {}, el('th', { scope: 'row', text: t('allDays') }),
      hours.map((h) => el('td', { 'data-hour-total': h }, String(counts.reduce((a, day) => a + day[h], 0))))))));
}

function csvButton(id, what, path, filename) {
  return el('button', { type: 'button', id, 'aria-label': t('csvOf', { what }), text: t('downloadCsv'),
    onclick: () => guard(async () => {
      // the server's CSV as it is: a blob: URL with a file name, saved by the browser (no navigation)
      const text = await api('GET', path, undefined, 'text/csv');
      const url = URL.createObjectURL(new Blob([text ?? ''], { type: 'text/csv;charset=utf-8' }));
      const a = el('a', { href: url, download: filename, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    }) });
}

/* uPlot's module, or null when the server has none (a build without node): loaded once, its stylesheet with it. */
let uplot;
function loadUPlot() {
  if (!uplot) {
    uplot = import('../vendor/uPlot.esm.js').then((m) => {
      document.head.append(el('link', { rel: 'stylesheet', href: new URL('../vendor/uPlot.min.css', import.meta.url).href }));
      return m.default;
    }, () => null);
  }
  return uplot;
}

/* A bar chart of ys over the integers xs, in the page's colours (light or dark). */
function barChart(U, host, xs, ys, label) {
  const css = getComputedStyle(document.documentElement);
  const color = (v) => css.getPropertyValue(v).trim();
  const axis = { stroke: color('--fg'), grid: { stroke: color('--line'), width: 1 }, ticks: { stroke: color('--line'), width: 1 },
    font: '12px system-ui, sans-serif' };
  const width = Math.max(240, Math.min(640, host.parentElement.clientWidth || 320));
  const step = Math.ceil((xs.length * 24) / width); // a label every `step` bars: 24 px each at least
  return new U({
    width, height: 200, legend: { show: false }, cursor: { show: false },
    scales: { x: { time: false, range: (u, lo, hi) => [lo - 0.5, hi + 0.5] },
      y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
    axes: [{ ...axis, splits: () => xs.filter((x, i) => i % step === 0), values: (u, splits) => splits.map(String) },
      { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 1e5, 1e6],
        values: (u, splits) => splits.map(String) }],
    series: [{}, { label, stroke: color('--accent'), fill: color('--accent'), width: 1, points: { show: false },
      paths: U.paths.bars({ size: [0.6, 64] }) }],
  }, [xs, ys], host);
}
