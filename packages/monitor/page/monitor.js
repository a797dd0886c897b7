// The live page of @cobald/monitor: the tree, the newest ended payloads and the charts, kept
// up to date by server-sent events from /events. Plain script, no build step. Everything the
// runtime reports (payload names, error messages) is untrusted text: it only ever reaches the
// page through textContent and attributes, never as markup.
'use strict';

(() => {
  const windowSeconds = 15 * 60;
  /** Payloads shown per branch before "… n more". */
  const shownPerBranch = 200;
  const palette = ['#2457a6', '#c2571a', '#1f7a3f', '#8e3fa8', '#b3261e', '#00838f', '#6d5c00'];

  const $ = (id) => document.getElementById(id);
  let points = [];
  let lastTree;

  /** An element with its class and text; children appended. */
  function el(tag, className, text, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function duration(ms) {
    const s = Math.max(0, ms / 1000);
    if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  function setBadge(id, text, cls) {
    const badge = $(id);
    badge.textContent = text;
    badge.className = `badge ${cls}`;
  }

  // ---- the tree ----------------------------------------------------------------------------

  function errorText(error) {
    return `${error.name}: ${error.message}`;
  }

  /** The row of one node: a payload (it has an id) or a branch (a flavour, a supervisor without id). */
  function nodeRow(node, now) {
    const isPayload = typeof node.id === 'number';
    const row = el('div', 'node');
    row.append(el('span', 'name', node.name ?? node.flavour ?? '?'));
    if (isPayload) {
      row.dataset.id = String(node.id);
      row.dataset.name = String(node.name);
      row.dataset.state = String(node.state);
      row.append(el('span', 'id', `#${node.id}`));
      row.append(el('span', `badge state-${String(node.state).replace(/[^a-z-]/g, '')}`, node.state));
      row.append(el('span', 'meta flavour', node.flavour));
      row.append(el('span', 'meta kind', node.service ? 'service' : node.kind));
      if (node.strategy) row.append(el('span', 'meta strategy', node.strategy));
      if (typeof node.childRestarts === 'number') {
        row.append(el('span', 'meta child-restarts', `${node.childRestarts} child restart${node.childRestarts === 1 ? '' : 's'}`));
      }
      row.append(el('span', 'meta restarts', `${node.restarts ?? 0} restart${node.restarts === 1 ? '' : 's'}`));
      if (typeof node.startedAt === 'number') row.append(el('span', 'meta uptime', `up ${duration(now - node.startedAt)}`));
      if (node.lastError) {
        const error = el('span', 'error', `last error: ${errorText(node.lastError)}`);
        error.title = `${errorText(node.lastError)} (${new Date(node.lastError.at).toLocaleTimeString()})`;
        row.append(error);
      }
    } else {
      const count = (node.payloads ?? node.children ?? []).length + (node.omitted ?? 0);
      row.append(el('span', 'meta', `${count} payload${count === 1 ? '' : 's'}`));
    }
    return row;
  }

  /** The list of `nodes`; `omitted` more were left out by the server. */
  function nodeList(nodes, now, omitted = 0) {
    const list = el('ul');
    nodes.slice(0, shownPerBranch).forEach((node) => {
      const kids = node.children ?? node.payloads;
      const item = el('li', typeof node.id === 'number' ? 'payload' : 'branch', null, nodeRow(node, now));
      if (Array.isArray(kids) && kids.length > 0) item.append(nodeList(kids, now, node.omitted ?? 0));
      list.append(item);
    });
    const more = Math.max(0, nodes.length - shownPerBranch) + omitted;
    if (more > 0) list.append(el('li', 'more', `… ${more} more`));
    return list;
  }

  function renderTree(tree) {
    lastTree = tree;
    const now = tree.now ?? Date.now();
    setBadge('state', tree.state, `state-${tree.state}`);
    setBadge('health', tree.health.status, tree.health.ok ? 'ok' : 'bad');
    setBadge('ready', tree.ready.status, tree.ready.ok ? 'ok' : 'warn');
    const roots = tree.children ?? tree.flavours ?? [];
    const box = $('tree');
    box.replaceChildren(roots.length > 0 ? nodeList(roots, now) : el('div', 'empty', 'no payloads'));
    renderEnded(tree.ended ?? [], now);
    renderQueues(tree.queues ?? []);
  }

  /** The job queues the runtime uses (BullMQ's), as a flavour last read them; hidden when none. */
  function renderQueues(queues) {
    $('queues-section').hidden = queues.length === 0;
    const rows = queues.map((q) =>
      el(
        'tr',
        null,
        null,
        el('td', 'name', `${q.queue} (${q.system})`),
        ...['waiting', 'active', 'failed', 'delayed', 'completed'].map((state) => el('td', null, q[state])),
      ),
    );
    $('queues').tBodies[0].replaceChildren(...rows);
  }

  function renderEnded(ended, now) {
    const body = $('ended').tBodies[0];
    const rows = ended
      .slice()
      .reverse()
      .map((p) => {
        const row = el('tr');
        row.dataset.id = String(p.id);
        row.append(el('td', 'name', `${p.name} #${p.id}`));
        row.append(el('td', null, p.flavour));
        row.append(el('td', null, p.service ? 'service' : p.kind));
        row.append(el('td', null, null, el('span', `badge state-${String(p.state).replace(/[^a-z-]/g, '')}`, p.state)));
        // Executes' end times are not kept (there are too many): their start says when.
        const when =
          typeof p.endedAt === 'number'
            ? `${duration(now - p.endedAt)} ago`
            : typeof p.startedAt === 'number'
              ? `started ${duration(now - p.startedAt)} ago`
              : '';
        row.append(el('td', null, when));
        row.append(el('td', 'error', p.lastError && p.state === 'failed' ? errorText(p.lastError) : ''));
        return row;
      });
    body.replaceChildren(...(rows.length > 0 ? rows : [el('tr', null, null, el('td', 'empty', 'none yet'))]));
  }

  // ---- the charts --------------------------------------------------------------------------

  const charts = {};
  let chartFlavours = '';

  function flavoursOf(list) {
    const names = new Set();
    for (const point of list) for (const name of Object.keys(point.flavours)) names.add(name);
    return [...names].sort();
  }

  /** Series definitions and data columns of each chart, from the points. */
  function chartSpecs(list, flavours) {
    const xs = list.map((p) => p.t);
    const col = (read) =>
      list.map((p) => {
        const value = read(p);
        return value === undefined ? null : value;
      });
    const byFlavour = (fields) =>
      flavours.flatMap((name, i) =>
        fields.map(([field, dash]) => ({
          series: { label: `${name} ${field}`, stroke: palette[i % palette.length], width: 1.5, dash, spanGaps: false },
          data: col((p) => p.flavours[name]?.[field] ?? (field === 'started' || field === 'ended' ? 0 : undefined)),
        })),
      );
    return {
      throughput: {
        unit: '/s',
        columns: byFlavour([
          ['started', undefined],
          ['ended', [5, 4]],
        ]),
      },
      latency: {
        unit: 'ms',
        columns: byFlavour([
          ['p50', undefined],
          ['p99', [5, 4]],
        ]),
      },
      pool: {
        unit: '',
        columns: [
          { series: { label: 'busy threads', stroke: palette[0], width: 1.5 }, data: col((p) => p.busy) },
          { series: { label: 'queued payloads', stroke: palette[1], width: 1.5 }, data: col((p) => p.queued) },
        ],
      },
      loop: {
        unit: 'ms',
        columns: [
          { series: { label: 'p99', stroke: palette[2], width: 1.5 }, data: col((p) => p.loopDelay.p99) },
          { series: { label: 'longest', stroke: palette[4], width: 1.5 }, data: col((p) => p.loopDelay.max) },
        ],
      },
      xs,
    };
  }

  /** 1500 as 1.5k: axis labels stay short. */
  function compact(value) {
    const size = Math.abs(value);
    if (size >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
    if (size >= 1e3) return `${+(value / 1e3).toPrecision(3)}k`;
    return `${+value.toPrecision(3)}`;
  }

  /** An axis label: 1.5k/s, 250ms, 4s (milliseconds from a second on read better as seconds). */
  function withUnit(value, unit) {
    if (unit === 'ms' && Math.abs(value) >= 1000) return `${compact(value / 1000)}s`;
    return `${compact(value)}${unit}`;
  }

  function chartWidth(box) {
    return Math.max(200, Math.floor(box.clientWidth || box.parentElement.clientWidth || 300));
  }

  function drawCharts() {
    if (typeof uPlot !== 'function') return;
    const flavours = flavoursOf(points);
    const specs = chartSpecs(points, flavours);
    const key = flavours.join(',');
    for (const name of ['throughput', 'latency', 'pool', 'loop']) {
      const spec = specs[name];
      const data = [specs.xs, ...spec.columns.map((c) => c.data)];
      const box = $(`chart-${name}`);
      if (charts[name] && key === chartFlavours) {
        charts[name].setData(data);
        continue;
      }
      charts[name]?.destroy();
      charts[name] = new uPlot(
        {
          width: chartWidth(box),
          height: 200,
          series: [{}, ...spec.columns.map((c) => c.series)],
          axes: [{}, { size: 64, values: (_, ticks) => ticks.map((v) => withUnit(v, spec.unit)) }],
          scales: { x: { time: true }, y: { range: (_, min, max) => [0, Math.max(1, max * 1.1)] } },
          legend: { live: false },
          cursor: { drag: { x: false, y: false } },
        },
        data,
        box,
      );
    }
    chartFlavours = key;
  }

  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const name of Object.keys(charts)) {
        const box = $(`chart-${name}`);
        charts[name].setSize({ width: chartWidth(box), height: 200 });
      }
    }, 100);
  });

  function addPoint(point) {
    points.push(point);
    const oldest = point.t - windowSeconds;
    while (points.length > 0 && points[0].t <= oldest) points.shift();
  }

  // ---- live updates ------------------------------------------------------------------------

  function connect() {
    const events = new EventSource('/events');
    events.addEventListener('open', () => setBadge('connection', 'live', 'ok'));
    events.addEventListener('error', () => setBadge('connection', 'reconnecting', 'warn'));
    events.addEventListener('snapshot', (event) => {
      const { tree, series } = JSON.parse(event.data);
      points = series;
      renderTree(tree);
      drawCharts();
    });
    events.addEventListener('tick', (event) => {
      const { tree, point } = JSON.parse(event.data);
      addPoint(point);
      renderTree(tree);
      drawCharts();
    });
    events.addEventListener('tree', (event) => renderTree(JSON.parse(event.data).tree));
  }

  // Uptimes grow between updates too.
  setInterval(() => {
    if (lastTree) renderTree({ ...lastTree, now: (lastTree.now ?? Date.now()) + 1000 });
  }, 1000);

  connect();
})();
