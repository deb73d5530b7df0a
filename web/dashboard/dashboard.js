// The operators' dashboard: the metrics stream (/api/metrics/stream, the numbers /metrics
// exposes, once a second, after the API key) as numbers, per-second rates and uPlot charts;
// /health for the engine, brokers and sources. Bundled with uPlot by build.mjs.
import uPlot from 'uplot';

const $ = (id) => document.getElementById(id);
const HISTORY = 300;  // seconds of chart
const series = { time: [], in: [], out: [], deliveries: [], connections: [] };
let previous = null;  // the last frame's counters and time, for rates
let charts = null;
let socket = null;

// The sum of a family's samples (whose labels pass `where`), or undefined when absent.
function total(metrics, name, where = () => true) {
  const family = metrics[name];
  if (!family) return undefined;
  return family.filter((s) => where(s.labels || {})).reduce((sum, s) => sum + (s.value ?? 0), 0);
}

function show(id, value, digits = 0) {
  $(id).textContent = value === undefined || Number.isNaN(value) ? '–'
    : Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
}

function bytes(n) {
  if (n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function makeCharts() {
  const width = Math.max(320, $('chart-rates').clientWidth || 480);
  const axes = [{}, { size: 60 }];
  return {
    rates: new uPlot({ width, height: 220, axes, series: [{}, { label: 'in', stroke: '#2a5bd7' },
      { label: 'out', stroke: '#1d8a3a' }, { label: 'deliveries', stroke: '#c77c02' }] },
      [series.time, series.in, series.out, series.deliveries], $('chart-rates')),
    connections: new uPlot({ width, height: 220, axes, series: [{}, { label: 'connections', stroke: '#7a3ac7' }] },
      [series.time, series.connections], $('chart-connections')),
  };
}

function push(key, value) {
  series[key].push(value);
  if (series[key].length > HISTORY) series[key].shift();
}

function onFrame(frame) {
  const m = frame.metrics;
  const now = frame.time / 1000;
  const counters = {
    in: total(m, 'switchboard_messages_in_total'),
    out: total(m, 'switchboard_messages_out_total'),
    deliveries: total(m, 'switchboard_gateway_deliveries_total'),
  };
  const rate = (key) => (previous && now > previous.time && counters[key] !== undefined
    ? Math.max(0, (counters[key] - previous.counters[key]) / (now - previous.time)) : undefined);
  const rates = { in: rate('in'), out: rate('out'), deliveries: rate('deliveries') };
  previous = { time: now, counters };

  const connections = total(m, 'switchboard_connections');
  show('connections', connections);
  show('users', total(m, 'switchboard_gateway_users'));
  show('subscriptions', total(m, 'switchboard_gateway_subscriptions'));
  show('in-rate', rates.in, 1);
  show('out-rate', rates.out, 1);
  show('deliveries-rate', rates.deliveries, 1);
  show('slow-closes', total(m, 'switchboard_slow_consumer_closes_total'));
  $('rss').textContent = bytes(total(m, 'process_resident_memory_bytes'));

  const workers = m.switchboard_worker_connections || [];
  const all = workers.reduce((sum, s) => sum + s.value, 0);
  $('workers').tBodies[0].replaceChildren(...workers.map((s) => {
    const tr = document.createElement('tr');
    for (const cell of [s.labels.worker, s.value, all ? `${Math.round((100 * s.value) / all)} %` : '–']) {
      const td = document.createElement('td');
      td.textContent = String(cell);
      tr.append(td);
    }
    return tr;
  }));

  push('time', now);
  push('in', rates.in ?? null);
  push('out', rates.out ?? null);
  push('deliveries', rates.deliveries ?? null);
  push('connections', connections ?? null);
  if (!charts) charts = makeCharts();
  charts.rates.setData([series.time, series.in, series.out, series.deliveries]);
  charts.connections.setData([series.time, series.connections]);
  document.body.dataset.frames = String(Number(document.body.dataset.frames || 0) + 1);
}

async function refreshHealth() {
  try {
    const health = await (await fetch('/health')).json();
    const deps = health.dependencies || [{ name: 'memory engine (this node)', status: 'up' }];
    $('health').tBodies[0].replaceChildren(...deps.map((d) => {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = d.name + (d.required === false ? ' (source)' : '');
      const status = document.createElement('td');
      status.textContent = d.status + (d.error ? `: ${d.error}` : '');
      status.className = d.status;
      tr.append(name, status);
      return tr;
    }));
  } catch {
    // the node is down: the stream's state says so
  }
}

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

function connect(key) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/metrics/stream`;
  socket = new WebSocket(url);
  socket.onopen = () => socket.send(JSON.stringify({ api_key: key }));
  socket.onmessage = (e) => {
    const frame = JSON.parse(e.data);
    if (frame.type !== 'metrics') return;
    setStatus('live', 'live');
    $('key-form').hidden = true;
    $('board').hidden = false;
    onFrame(frame);
  };
  socket.onclose = (e) => {
    if (e.code === 4001) {
      setStatus('refused', 'wrong API key');
      $('key-form').hidden = false;
      return;
    }
    setStatus('disconnected', 'disconnected — retrying');
    previous = null;
    setTimeout(() => connect(key), 2000);
  };
}

// The key from the link the server printed (#key=…: a fragment never reaches a server log),
// else from the form.
const fromLink = new URLSearchParams(location.hash.slice(1)).get('key');
$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  connect($('api-key').value);
});
if (fromLink) connect(fromLink); else $('key-form').hidden = false;
refreshHealth();
setInterval(refreshHealth, 5000);
