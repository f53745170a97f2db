// dllhound HTML report: builds the page from the embedded JSON. Telemetry is only ever set with
// textContent or as SVG text nodes, never parsed as HTML.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('dllhound-data').textContent);
  var ALERTS = D.alerts || [];
  // alert | signal (an uncorroborated trigger, --signals) | suppressed (--show-suppressed): only
  // alerts are counted as alerts; the others are listed, badged and dimmed.
  function kindOf(a) { return (a.event && a.event.kind) || 'alert'; }
  var REAL = ALERTS.filter(function (a) { return kindOf(a) === 'alert'; });
  var SIGNALS = ALERTS.filter(function (a) { return kindOf(a) === 'signal'; }).length;
  var SUPPRESSED = ALERTS.filter(function (a) { return kindOf(a) === 'suppressed'; }).length;
  var SEVERITIES = ['critical', 'high', 'medium', 'low'];
  // The branch registry (dllhound_detect::BRANCHES): corroborators have a letter, context does not.
  var REGISTRY = D.branches || [];
  var BRANCHES = REGISTRY.filter(function (b) { return b.letter; }).map(function (b) { return b.name; });
  var BRANCH_LABEL = {};
  REGISTRY.forEach(function (b) { BRANCH_LABEL[b.name] = b.label; });
  var SVGNS = 'http://www.w3.org/2000/svg';
  var PAGE = 200;

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'class') e.className = attrs[k];
      else if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function base(p) { if (!p) return ''; var s = String(p).split(/[\\/]/); return s[s.length - 1] || String(p); }
  function get(o, path) { return path.split('.').reduce(function (x, k) { return x == null ? undefined : x[k]; }, o); }
  function count(list, key) {
    var m = new Map();
    list.forEach(function (a) { var vs = key(a); (Array.isArray(vs) ? vs : [vs]).forEach(function (v) { if (v !== undefined && v !== null && v !== '') m.set(v, (m.get(v) || 0) + 1); }); });
    return Array.from(m.entries()).sort(function (x, y) { return y[1] - x[1] || String(x[0]).localeCompare(String(y[0])); });
  }
  function delta(d) {
    if (d === undefined || d === null) return '';
    var a = Math.abs(d), s = a < 1 ? a.toFixed(3) : a < 60 ? a.toFixed(1) : (a / 60).toFixed(1);
    var unit = a < 60 ? ' s' : ' min';
    return d === 0 ? 'at the load' : s + unit + (d < 0 ? ' before the load' : ' after the load');
  }
  function sevBadge(s) { return el('span', { class: 'sev ' + s, text: s }); }
  function table(head, rows, numeric) {
    var t = el('table'), tr = el('tr');
    head.forEach(function (h, i) { tr.appendChild(el('th', { class: numeric && numeric[i] ? 'num' : '', text: h })); });
    t.appendChild(el('thead', null, tr));
    var tb = el('tbody');
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c, i) {
        var td = el('td', { class: numeric && numeric[i] ? 'num' : '' });
        if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c);
        row.appendChild(td);
      });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return t;
  }
  function panel(title, content) { return el('div', { class: 'panel' }, el('h3', { text: title }), content); }
  // Where a record is (line, or record # in an EVTX file) and the log's own id for it (what Event
  // Viewer shows), never one for the other.
  function whereOf(p) {
    p = p || {};
    return (p.file || '') + (p.line !== undefined ? ':line ' + p.line : '') + (p.file_record !== undefined ? ':record #' + p.file_record : '') +
      (p.record_id !== undefined ? ' · record id ' + p.record_id : '') + (p.event_code ? ' (' + p.event_code + ')' : '');
  }
  function pathCell(p) { return el('span', { class: 'path', text: p || '' }); }

  // ---- header ----
  var also = [];
  if (SIGNALS) also.push(SIGNALS + ' signal' + (SIGNALS === 1 ? '' : 's'));
  if (SUPPRESSED) also.push(SUPPRESSED + ' suppressed trigger' + (SUPPRESSED === 1 ? '' : 's'));
  document.getElementById('meta').textContent = REAL.length + ' alert' + (REAL.length === 1 ? '' : 's') +
    (also.length ? ' (also listed: ' + also.join(', ') + ', not counted as alerts)' : '') +
    (D.generated ? ' · generated ' + D.generated : '') + ' · dllhound ' + (D.version || '') +
    ' · MITRE ATT&CK analytic AN0052';

  // ---- overview ----
  var ov = document.getElementById('overview');
  ov.appendChild(el('h2', { text: 'Overview' }));
  if (D.filters) {
    ov.appendChild(el('p', { class: 'warn filtered', text: 'Filtered view: ' + D.filters.written + ' of ' +
      D.filters.found + ' findings written (' + D.filters.filters + '). The cards and panels count what is written; ' +
      'the run box counts the whole input.' }));
  }
  var cards = el('div', { class: 'cards' });
  cards.appendChild(el('div', { class: 'card' }, el('div', { class: 'n', text: REAL.length }), el('div', { class: 'l', text: 'alerts' })));
  if (SIGNALS) cards.appendChild(el('div', { class: 'card kind-signal' }, el('div', { class: 'n', text: SIGNALS }), el('div', { class: 'l', text: 'signals (uncorroborated)' })));
  if (SUPPRESSED) cards.appendChild(el('div', { class: 'card kind-suppressed' }, el('div', { class: 'n', text: SUPPRESSED }), el('div', { class: 'l', text: 'suppressed (tuning)' })));
  SEVERITIES.forEach(function (s) {
    var n = REAL.filter(function (a) { return get(a, 'event.severity') === s; }).length;
    cards.appendChild(el('div', { class: 'card', 'data-severity': s }, el('div', { class: 'n', text: n }), el('div', { class: 'l' }, sevBadge(s))));
  });
  var hosts = count(ALERTS, function (a) { return get(a, 'host.name'); });
  cards.appendChild(el('div', { class: 'card' }, el('div', { class: 'n', text: hosts.length }), el('div', { class: 'l', text: 'hosts' })));
  ov.appendChild(cards);

  // Incidents first: the alerts of one DLL on one host are one incident (a hijacked DLL loaded by many
  // processes); clicking one filters the list to its alerts.
  var INC = new Map();
  ALERTS.forEach(function (a) {
    if (!a.incident) return;
    var i = INC.get(a.incident.id);
    if (!i) { i = { id: a.incident.id, alerts: [], }; INC.set(a.incident.id, i); }
    i.alerts.push(a);
  });
  var incidents = Array.from(INC.values()).map(function (i) {
    var sev = i.alerts.map(function (a) { return SEVERITIES.indexOf(get(a, 'event.severity')); });
    var times = i.alerts.map(function (a) { return a['@timestamp']; }).sort();
    var loaders = new Set(i.alerts.map(function (a) { return get(a, 'process.entity_id'); }));
    var br = new Set();
    i.alerts.forEach(function (a) { (get(a, 'an0052.branches') || []).forEach(function (b) { br.add(BRANCH_LABEL[b] || b); }); });
    return { id: i.id, sev: SEVERITIES[Math.min.apply(null, sev)] || 'low', rank: Math.min.apply(null, sev), host: get(i.alerts[0], 'host.name'), dll: get(i.alerts[0], 'dll.path'), n: i.alerts.length, loaders: loaders.size, first: times[0], last: times[times.length - 1], branches: Array.from(br).join(', ') };
  }).sort(function (x, y) { return x.rank - y.rank || y.n - x.n || String(x.first).localeCompare(String(y.first)); });
  if (incidents.length) {
    var incTable = table(['severity', 'host', 'DLL', 'alerts', 'loaders', 'first load', 'last load', 'branches'], incidents.slice(0, 50).map(function (i) {
      var link = el('a', { href: '#', class: 'incident', 'data-incident': i.id, text: i.dll || i.id });
      link.addEventListener('click', function (e) { e.preventDefault(); q.value = i.id; apply(); });
      return [sevBadge(i.sev), i.host, link, i.n, i.loaders, String(i.first || '').replace('T', ' ').replace('Z', ''), String(i.last || '').replace('T', ' ').replace('Z', ''), i.branches];
    }), [false, false, false, true, true, false, false, false]);
    var incPanel = panel(ALERTS.filter(function (a) { return a.incident; }).length + ' alerts in ' + incidents.length + ' incidents', incTable);
    if (incidents.length > 50) incPanel.appendChild(el('p', { text: 'the 50 most severe shown; search an incident id to see its alerts' }));
    ov.appendChild(incPanel);
  }

  var grid = el('div', { class: 'grid' });
  grid.appendChild(panel('Alerts by branch', table(['branch', 'alerts'],
    BRANCHES.map(function (b) { return [BRANCH_LABEL[b], REAL.filter(function (a) { return (get(a, 'an0052.branches') || []).indexOf(b) >= 0; }).length]; }), [false, true])));
  grid.appendChild(panel('Alerts by host', table(['host', 'alerts'], count(REAL, function (a) { return get(a, 'host.name'); }).slice(0, 10), [false, true])));
  grid.appendChild(panel('Top DLL paths', table(['DLL', 'alerts'], count(REAL, function (a) { return get(a, 'dll.path'); }).slice(0, 10).map(function (r) { return [pathCell(r[0]), r[1]]; }), [false, true])));
  grid.appendChild(panel('Top loaders', table(['loading process', 'alerts'], count(REAL, function (a) { return get(a, 'process.executable'); }).slice(0, 10).map(function (r) { return [pathCell(r[0]), r[1]]; }), [false, true])));
  ov.appendChild(grid);

  if (D.run) {
    var r = D.run, det = r.detection || {}, rec = r.records || {};
    var loads = det.trigger_loads || {}, found = det.findings || {};
    var sup = loads.suppressed_by || {};
    var supTotal = loads.suppressed || 0;
    var rows = [
      ['inputs', (r.inputs || []).length],
      ['records seen', rec.seen], ['decoded', rec.decoded], ['bad', rec.bad],
      ['hosts', det.hosts],
      ['trigger loads', loads.total],
      ['  suppressed', supTotal + (supTotal ? ' (' + Object.keys(sup).map(function (k) { return k.replace('_', ' ') + ' ' + sup[k]; }).join(', ') + ')' : '')],
      ['  corroborated', loads.corroborated], ['  uncorroborated', loads.uncorroborated]];
    if (loads.child_image) rows.push(['  a child\'s own executable', loads.child_image]);
    rows.push(['alerts', det.alerts]);
    if (found.signals_listed) rows.push(['signals listed', found.signals_listed]);
    if (found.suppressed_listed !== null && found.suppressed_listed !== undefined) rows.push(['suppressed findings listed', found.suppressed_listed]);
    var runGrid = el('div', { class: 'grid' });
    runGrid.appendChild(panel('Run', table(['', ''], rows.concat([
      ['elapsed', r.elapsed_seconds !== undefined ? r.elapsed_seconds.toFixed(2) + ' s' : '']
    ]))));
    var ev = det.events || {};
    runGrid.appendChild(panel('Events by kind', table(['kind', 'events'], Object.keys(ev).map(function (k) { return [k.replace('_', ' '), ev[k]]; }), [false, true])));
    var problems = [];
    (r.inputs || []).forEach(function (i) {
      (i.unreadable || []).forEach(function (e) { problems.push([e]); });
      (i.bad_records || []).slice(0, 5).forEach(function (e) { problems.push([e]); });
    });
    (r.walk_errors || []).forEach(function (e) { problems.push([e]); });
    if (problems.length) runGrid.appendChild(panel('Inputs not fully read', table(['where and why'], problems.slice(0, 50))));
    ov.appendChild(runGrid);
  }
  // `coverage --output-format json`, or its --sysmon-config form with the data under "data".
  var COV = D.coverage && (Array.isArray(D.coverage.hosts) ? D.coverage : D.coverage.data);
  if (COV && Array.isArray(COV.hosts)) {
    var hostsCov = COV.hosts, parts = [];
    hostsCov.forEach(function (h) { Object.keys(h.verdicts || {}).forEach(function (p) { if (parts.indexOf(p) < 0) parts.push(p); }); });
    var sum = COV.summary;
    var head = sum ? el('p', { class: 'coverage-summary', text: sum.hosts + ' hosts: AN0052 can fire on ' + sum.can_fire + ', partly on ' + sum.can_fire_partly + ', not at all on ' + sum.cannot_fire }) : null;
    var covTable = table(['host', 'AN0052'].concat(parts.map(function (p) { return p.replace(/_/g, ' '); })), hostsCov.map(function (h) {
      var hl = h.headline || {};
      return [h.host, el('span', { class: 'headline-' + (hl.verdict || 'unknown'), text: hl.text || '' })].concat(parts.map(function (name) {
        var v = (h.verdicts || {})[name];
        // Only "evaluable" reads as good: partial and blind are shouted.
        return v ? el('span', { class: 'verdict-' + v.verdict, text: v.verdict === 'evaluable' ? v.verdict : v.verdict.toUpperCase(), title: v.reason || '' }) : '';
      }));
    }));
    ov.appendChild(panel('Coverage: can the telemetry show each part of AN0052?', head ? el('div', null, head, covTable) : covTable));
  }

  // ---- alert list ----
  var sec = document.getElementById('alerts');
  sec.appendChild(el('h2', { text: 'Alerts' }));
  var q = el('input', { type: 'search', placeholder: 'Filter: any text (DLL, host, command line, hash…)', id: 'filter-text' });
  var fSev = el('select', { id: 'filter-severity' }, el('option', { value: '', text: 'any severity' }));
  SEVERITIES.forEach(function (s) { fSev.appendChild(el('option', { value: s, text: s })); });
  var fHost = el('select', { id: 'filter-host' }, el('option', { value: '', text: 'any host' }));
  hosts.forEach(function (h) { fHost.appendChild(el('option', { value: h[0], text: h[0] + ' (' + h[1] + ')' })); });
  var fBranch = el('select', { id: 'filter-branch' }, el('option', { value: '', text: 'any branch' }));
  BRANCHES.forEach(function (b) { fBranch.appendChild(el('option', { value: b, text: BRANCH_LABEL[b] })); });
  var fKind = el('select', { id: 'filter-kind' }, el('option', { value: '', text: 'every kind' }));
  ['alert', 'signal', 'suppressed'].forEach(function (k) { fKind.appendChild(el('option', { value: k, text: k + 's only' })); });
  var fSort = el('select', { id: 'sort' },
    el('option', { value: 'score', text: 'sort: risk score' }), el('option', { value: 'time', text: 'sort: time' }),
    el('option', { value: 'host', text: 'sort: host' }), el('option', { value: 'dll', text: 'sort: DLL' }));
  var shown = el('span', { class: 'muted', id: 'shown' });
  sec.appendChild(el('div', { class: 'filters' }, q, fKind, fSev, fHost, fBranch, fSort, shown));
  var tbl = el('table', { id: 'alert-table' });
  var hr = el('tr');
  ['time (UTC)', 'severity', 'score', 'host', 'loading process', 'DLL', 'branches'].forEach(function (h, i) { hr.appendChild(el('th', { class: i === 2 ? 'num' : '', text: h })); });
  tbl.appendChild(el('thead', null, hr));
  var body = el('tbody');
  tbl.appendChild(body);
  sec.appendChild(tbl);
  var more = el('button', { id: 'more', text: 'show more' });
  sec.appendChild(more);

  // Lower-cased searchable text per alert, built once.
  var HAY = ALERTS.map(function (a) { return JSON.stringify(a).toLowerCase(); });
  var SEV_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
  var current = [], limit = PAGE;

  function apply() {
    var text = q.value.trim().toLowerCase(), s = fSev.value, h = fHost.value, b = fBranch.value, kd = fKind.value;
    current = [];
    for (var i = 0; i < ALERTS.length; i++) {
      var a = ALERTS[i];
      if (kd && kindOf(a) !== kd) continue;
      if (s && get(a, 'event.severity') !== s) continue;
      if (h && get(a, 'host.name') !== h) continue;
      if (b && (get(a, 'an0052.branches') || []).indexOf(b) < 0) continue;
      if (text && HAY[i].indexOf(text) < 0) continue;
      current.push(i);
    }
    var key = fSort.value;
    current.sort(function (x, y) {
      var a = ALERTS[x], c = ALERTS[y];
      if (key === 'time') return String(a['@timestamp']).localeCompare(String(c['@timestamp']));
      if (key === 'host') return String(get(a, 'host.name')).localeCompare(String(get(c, 'host.name'))) || x - y;
      if (key === 'dll') return String(get(a, 'dll.path')).localeCompare(String(get(c, 'dll.path'))) || x - y;
      return (c.risk_score - a.risk_score) || (SEV_RANK[get(a, 'event.severity')] - SEV_RANK[get(c, 'event.severity')]) || x - y;
    });
    limit = PAGE;
    render();
  }

  function render() {
    var frag = document.createDocumentFragment();
    var n = Math.min(limit, current.length);
    for (var k = 0; k < n; k++) frag.appendChild(row(current[k]));
    body.textContent = '';
    body.appendChild(frag);
    shown.textContent = 'showing ' + n + ' of ' + current.length + ' (' + ALERTS.length + ' in all)';
    more.style.display = current.length > n ? '' : 'none';
    // A short list opens every alert's chain at once.
    if (current.length <= 3) Array.prototype.slice.call(body.querySelectorAll('tr.row')).forEach(toggle);
  }

  function row(i) {
    var a = ALERTS[i];
    var kind = kindOf(a);
    var tr = el('tr', { class: 'row kind-' + kind, 'data-index': i, 'data-id': a.id, 'data-kind': kind });
    var br = el('td');
    (get(a, 'an0052.branches') || []).forEach(function (b) { br.appendChild(el('span', { class: 'branch', text: BRANCH_LABEL[b] || b })); });
    var sevCell = el('span', null, sevBadge(get(a, 'event.severity')));
    if (kind !== 'alert') sevCell.appendChild(el('span', { class: 'kind-badge ' + kind, text: kind, title: kind === 'signal' ? 'an uncorroborated trigger, not an alert' : 'suppressed by ' + (get(a, 'suppressed_by.source') || '') + ':' + (get(a, 'suppressed_by.id') || '') + ', not an alert' }));
    [String(a['@timestamp'] || '').replace('T', ' ').replace('Z', ''), sevCell, a.risk_score,
      get(a, 'host.name'), pathCell(base(get(a, 'process.executable'))), pathCell(get(a, 'dll.path'))].forEach(function (c, k) {
      var td = el('td', { class: k === 2 ? 'num' : '' });
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c);
      tr.appendChild(td);
    });
    tr.appendChild(br);
    tr.addEventListener('click', function () { toggle(tr); });
    var frag = document.createDocumentFragment();
    frag.appendChild(tr);
    return frag;
  }

  function toggle(tr) {
    if (!tr) return;
    var next = tr.nextSibling;
    if (next && next.classList && next.classList.contains('detail')) { next.remove(); tr.classList.remove('open'); return; }
    tr.classList.add('open');
    var td = el('td', { colspan: 7 });
    td.appendChild(detail(ALERTS[Number(tr.getAttribute('data-index'))]));
    tr.parentNode.insertBefore(el('tr', { class: 'detail', 'data-id': tr.getAttribute('data-id') }, td), tr.nextSibling);
  }

  // ---- one alert ----
  function detail(a) {
    var box = el('div', { class: 'alert-detail' });
    box.appendChild(chain(a));
    var ev = a.evidence || {};
    var facts = el('dl', { class: 'facts' });
    function fact(k, v) { if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) return; facts.appendChild(el('dt', { text: k })); facts.appendChild(el('dd', { class: 'path' }, String(Array.isArray(v) ? v.join(', ') : v))); }
    fact('kind', kindOf(a) === 'alert' ? 'alert' : kindOf(a) === 'signal' ? 'signal: an uncorroborated trigger, not an alert' : 'suppressed, not an alert');
    var sb = a.suppressed_by;
    if (sb) fact('suppressed by', sb.source + ':' + sb.id + ' — ' + sb.reason);
    fact('alert id', a.id);
    fact('DLL', get(a, 'dll.path'));
    fact('path classes', get(a, 'dll.path_classes'));
    fact('signer', (get(a, 'dll.signature.state') || '') + (get(a, 'dll.signature.subject') ? ' — ' + get(a, 'dll.signature.subject') : ''));
    fact('SHA-256', get(a, 'dll.hash.sha256'));
    fact('loaded', (get(a, 'dll.load_count') || 1) + ' time(s)');
    fact('loading process', get(a, 'process.executable') + (get(a, 'process.pid') !== undefined ? ' (pid ' + get(a, 'process.pid') + ')' : ''));
    fact('command line', get(a, 'process.command_line'));
    fact('parent', get(a, 'process.parent.executable'));
    fact('parent command line', get(a, 'process.parent.command_line'));
    fact('grandparent', get(a, 'process.parent.parent.executable'));
    fact('file first seen', get(a, 'dll.file.first_seen'));
    var unc = get(a, 'dll.unc');
    if (unc) fact('network share', '\\\\' + unc.server + (unc.share ? '\\' + unc.share : '') + ' (' + unc.transport + ', port ' + (unc.ports || []).join('/') + '; ' + unc.connection_count + ' connection(s) to the server around the load)');
    var prev = get(a, 'dll.prevalence');
    if (prev) fact('prevalence', prev.hosts + ' host(s) by ' + prev.by + ' since ' + prev.first_seen + ' (' + (prev.sample_hosts || []).join(', ') + ')');
    var inc = a.incident;
    if (inc) fact('incident', inc.id + ' (' + inc.alert_count + ' alert' + (inc.alert_count === 1 ? '' : 's') + ')');
    fact('user', get(a, 'user.name'));
    fact('process id', get(a, 'process.entity_id'));
    box.appendChild(facts);
    box.appendChild(el('h4', { text: 'Why' }));
    var ul = el('ul', { class: 'reasons' });
    (a.reasons || []).forEach(function (r) { ul.appendChild(el('li', { text: r })); });
    box.appendChild(ul);
    box.appendChild(el('h4', { text: 'Timeline (every event used, with where it came from)' }));
    box.appendChild(table(['time (UTC)', 'role', 'what', 'source'], (a.timeline || []).map(function (t) {
      var p = t.provenance || {};
      var where = whereOf(p);
      return [String(t['@timestamp'] || '').replace('T', ' ').replace('Z', ''), t.role, pathCell(t.summary), pathCell(where)];
    })));
    function where(p) {
      p = p || {};
      return whereOf(p);
    }
    function ts(t) { return String(t || '').replace('T', ' ').replace('Z', ''); }
    var hist = get(a, 'dll.file.history') || [];
    box.appendChild(el('h4', { text: 'File history of the DLL on this host (whole input)' }));
    if (hist.length) {
      box.appendChild(table(['time (UTC)', 'action', 'path', 'by', 'source'], hist.map(function (h) {
        var stomp = h.creation_time ? ' → ' + h.creation_time + (h.previous_creation_time ? ' (was ' + h.previous_creation_time + ')' : '') : '';
        return [ts(h['@timestamp']), h.action + stomp, pathCell(h.path), pathCell(get(h, 'process.executable')), pathCell(where(h.provenance))];
      })));
    } else {
      box.appendChild(el('p', { text: 'No write, delete or creation-time change of this path is in the input.' }));
    }
    box.appendChild(el('h4', { text: 'Children of the loader (within the window after the load)' }));
    if ((a.children || []).length) {
      box.appendChild(table(['time (UTC)', 'after load', 'process', 'did', 'source'], a.children.map(function (c) {
        var did = (c.network || []).map(function (n) { return 'connected to ' + n.destination_ip + (n.destination_port !== undefined ? ':' + n.destination_port : ''); })
          .concat((c.files || []).map(function (f) { return 'wrote ' + f.path; }));
        return [ts(c['@timestamp']), delta(c.delta_seconds), pathCell(get(c, 'process.command_line') || get(c, 'process.executable')), pathCell(did.join('; ')), pathCell(where(c.provenance))];
      })));
    } else {
      box.appendChild(el('p', { text: 'The loader started no process within the window after the load.' }));
    }
    if (unc) {
      box.appendChild(el('h4', { text: 'Connections of the host to the share\'s server (network window before and after the load)' }));
      if ((unc.connections || []).length) {
        box.appendChild(table(['time (UTC)', 'from load', 'process', 'to', 'matched by', 'source'], unc.connections.map(function (c) {
          var to = c.destination_ip + (c.destination_port !== undefined ? ':' + c.destination_port : '') + (c.destination_domain ? ' (' + c.destination_domain + ')' : '');
          var who = (get(c, 'process.executable') || '?') + (get(c, 'process.pid') !== undefined ? ' (pid ' + get(c, 'process.pid') + ')' : '');
          return [ts(c['@timestamp']), delta(c.delta_seconds), pathCell(who), to, c.matched_by, pathCell(where(c.provenance))];
        })));
      } else {
        box.appendChild(el('p', { text: 'No connection of the host to ' + unc.server + ' on port ' + (unc.ports || []).join('/') + ' is in the input within the window.' }));
      }
    }
    var json = JSON.stringify(a, null, 2);
    var pre = el('pre', { class: 'json', text: json });
    var copy = el('button', { text: 'copy JSON' });
    copy.addEventListener('click', function (e) {
      e.stopPropagation();
      var done = function () { copy.textContent = 'copied'; setTimeout(function () { copy.textContent = 'copy JSON'; }, 1200); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(json).then(done, function () { select(pre); });
      else select(pre);
    });
    box.appendChild(el('h4', null, 'Alert JSON ', copy));
    box.appendChild(pre);
    return box;
  }
  function select(node) { var r = document.createRange(); r.selectNodeContents(node); var s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }

  // The chain on a time axis: lanes for the writer, the DLL and its loader (with the parent), the
  // rundll32/regsvr32 runs and the network; x is the time relative to the load (signed log scale).
  function chain(a) {
    var ev = a.evidence || {};
    var nodes = [];
    var W = 980, LEFT = 110, RIGHT = 30, NW = 190, NH = 40;
    var deltas = [0];
    REGISTRY.forEach(function (b) { (ev[b.name] || []).forEach(function (x) { deltas.push(x.delta_seconds); }); });
    // The DLL's file history and the loader's children on the same axis (seconds from the load).
    var t0 = Date.parse(a['@timestamp']);
    var history = (get(a, 'dll.file.history') || []).map(function (h) { return { h: h, d: (Date.parse(h['@timestamp']) - t0) / 1000 }; })
      .filter(function (x) { return isFinite(x.d); });
    var kids = a.children || [];
    history.forEach(function (x) { deltas.push(x.d); });
    kids.forEach(function (c) { deltas.push(c.delta_seconds); });
    function f(d) { return (d < 0 ? -1 : 1) * Math.log10(1 + Math.abs(d) / 0.01); }
    var lo = Math.min.apply(null, deltas.map(f).concat([-1])), hi = Math.max.apply(null, deltas.map(f).concat([1]));
    var span = W - LEFT - RIGHT - NW;
    function x(d) { return LEFT + (f(d) - lo) / (hi - lo) * span; }
    // Lanes: the writer's before the DLL, then the loader, then every other branch's lane.
    var lanes = [];
    REGISTRY.forEach(function (b) { if (b.name === 'fresh_write' && lanes.indexOf(b.lane) < 0) lanes.push(b.lane); });
    lanes.push('DLL file', 'loaded by');
    REGISTRY.forEach(function (b) { if (lanes.indexOf(b.lane) < 0) lanes.push(b.lane); });
    lanes.unshift('file history');
    lanes.push('children');
    var laneY = {};
    var svg = sv('svg', { class: 'chain', width: W, role: 'img' });
    var defs = sv('defs', {});
    var marker = sv('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.appendChild(sv('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8a93a6' }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    svg.appendChild(sv('title', {}, 'AN0052 chain for ' + (get(a, 'dll.path') || '')));
    var y = 14;
    var parent = get(a, 'process.parent.executable');
    var laneCount = { 'DLL file': 1, 'loaded by': 1, 'file history': history.length, 'children': kids.length };
    REGISTRY.forEach(function (b) { laneCount[b.lane] = (laneCount[b.lane] || 0) + (ev[b.name] || []).length; });
    // Each lane is as tall as the nodes it may have to stack.
    lanes.forEach(function (l) {
      if (!laneCount[l]) return;
      laneY[l] = y;
      svg.appendChild(sv('text', { x: 8, y: y + 24, class: 'sub' }, l));
      y += laneCount[l] * (NH + 6) + 12;
      svg.appendChild(sv('line', { class: 'lane', x1: LEFT - 6, x2: W - RIGHT, y1: y - 6, y2: y - 6 }));
    });
    function node(lane, d, cls, title, sub, kind, at) {
      var nx = at !== undefined ? at : Math.round(x(d)), ny = laneY[lane];
      // Nodes that would overlap in a lane stack downwards.
      var row = nodes.filter(function (n) { return n.lane === lane && Math.abs(n.x - nx) < NW + 6; }).length;
      ny += row * (NH + 6);
      var g = sv('g', { class: 'node-group', 'data-kind': kind });
      g.appendChild(sv('rect', { class: 'node ' + cls, x: nx, y: ny, width: NW, height: NH }));
      g.appendChild(sv('text', { x: nx + 8, y: ny + 16 }, clip(title, 28)));
      g.appendChild(sv('text', { x: nx + 8, y: ny + 31, class: 'sub' }, clip(sub, 32)));
      g.appendChild(sv('title', {}, title + ' — ' + sub));
      svg.appendChild(g);
      var n = { lane: lane, x: nx, y: ny };
      nodes.push(n);
      return n;
    }
    function clip(s, n) { s = String(s || ''); return s.length > n ? s.slice(0, n - 1) + '…' : s; }
    function edge(from, to) {
      var x1 = from.x + NW / 2, y1 = from.y + NH, x2 = to.x + NW / 2, y2 = to.y;
      if (from.y > to.y) { y1 = from.y; y2 = to.y + NH; }
      svg.insertBefore(sv('path', { class: 'edge', d: 'M' + x1 + ' ' + y1 + ' C ' + x1 + ' ' + (y1 + y2) / 2 + ', ' + x2 + ' ' + (y1 + y2) / 2 + ', ' + x2 + ' ' + y2 }), svg.firstChild.nextSibling);
    }
    var dll = node('DLL file', 0, 'dll', base(get(a, 'dll.path')), (get(a, 'dll.path_classes') || []).join(', ') + (get(a, 'dll.path_classes') && get(a, 'dll.path_classes').length ? ' · ' : '') + (get(a, 'dll.signature.state') || ''), 'dll');
    var loader = node('loaded by', 0, 'loader', base(get(a, 'process.executable')), 'loaded it' + (get(a, 'process.pid') !== undefined ? ' · pid ' + get(a, 'process.pid') : ''), 'loader');
    edge(dll, loader);
    if (parent) {
      var px = Math.max(LEFT, loader.x - NW - 40);
      if (px + NW + 10 > loader.x) px = loader.x + NW + 40;
      var pn = node('loaded by', 0, 'parent', base(parent), 'parent: started the loader', 'parent', px);
      svg.insertBefore(sv('path', { class: 'edge', d: 'M' + (px < loader.x ? px + NW : px) + ' ' + (pn.y + NH / 2) + ' L ' + (px < loader.x ? loader.x : loader.x + NW) + ' ' + (loader.y + NH / 2) }), svg.firstChild.nextSibling);
    }
    // How a branch's item is drawn; a branch without an entry here gets a generic node.
    var DRAW = {
      fresh_write: function (w) { return ['writer', base(w.process_executable), 'wrote it ' + delta(w.delta_seconds), 'writer', true]; },
      follow_on_exec: function (r) { return ['exec', base(r.process_executable) + (r.is_loader ? ' (the loader)' : ''), 'ran it ' + delta(r.delta_seconds), 'exec']; },
      outbound_network: function (c) {
        var dest = (c.destination_domain ? c.destination_domain + ' ' : '') + (c.destination_ip || '') + (c.destination_port !== undefined ? ':' + c.destination_port : '');
        return ['net', dest, (c.destination_class || '') + ' · ' + delta(c.delta_seconds), 'net'];
      },
      dns: function (d) { return ['net', 'DNS ' + d.query, 'looked up ' + delta(d.delta_seconds), 'dns']; }
    };
    REGISTRY.forEach(function (b) {
      (ev[b.name] || []).forEach(function (item) {
        var d = DRAW[b.name] ? DRAW[b.name](item) : ['exec', base(item.process_executable) || b.label, b.label + ' ' + delta(item.delta_seconds), b.name];
        var n = node(b.lane, item.delta_seconds, d[0], d[1], d[2], d[3]);
        if (d[4]) edge(n, dll); else edge(loader, n);
      });
    });
    history.forEach(function (x) {
      var h = x.h;
      node('file history', x.d, h.action.indexOf('delete') === 0 ? 'net' : 'writer', h.action.replace(/_/g, ' '), base(get(h, 'process.executable')) + ' · ' + delta(x.d), 'history');
    });
    kids.forEach(function (c) {
      var n = node('children', c.delta_seconds, 'exec', base(get(c, 'process.executable')), 'started ' + delta(c.delta_seconds) + ((c.network || []).length ? ' · ' + c.network.length + ' conn.' : ''), 'child');
      edge(loader, n);
    });
    // The axis.
    var ay = y + 6;
    svg.appendChild(sv('line', { class: 'lane', x1: LEFT, x2: W - RIGHT, y1: ay, y2: ay }));
    [-300, -60, -10, -1, -0.1, 0, 0.1, 1, 10, 60, 300].forEach(function (d) {
      var fx = f(d);
      if (fx < lo - 1e-9 || fx > hi + 1e-9) return;
      var px = x(d) + NW / 2;
      svg.appendChild(sv('line', { class: 'lane', x1: px, x2: px, y1: ay - 4, y2: ay + 4 }));
      svg.appendChild(sv('text', { class: 'axis', x: px - 14, y: ay + 18 }, d === 0 ? 'load' : (d > 0 ? '+' : '') + (Math.abs(d) >= 60 ? d / 60 + ' min' : d + ' s')));
    });
    svg.setAttribute('height', ay + 28);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + (ay + 28));
    return svg;
  }

  [q, fKind, fSev, fHost, fBranch, fSort].forEach(function (c) { c.addEventListener(c === q ? 'input' : 'change', apply); });
  more.addEventListener('click', function () { limit += PAGE * 5; render(); });
  // A link can carry filters and an alert to open: #q=text&severity=high&host=h&branch=b&sort=time&alert=id
  var H = {};
  (location.hash || '').replace(/^#/, '').split('&').forEach(function (kv) {
    var i = kv.indexOf('=');
    if (i > 0) { try { H[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { } }
  });
  if (H.q) q.value = H.q;
  [[fKind, H.kind], [fSev, H.severity], [fHost, H.host], [fBranch, H.branch], [fSort, H.sort]].forEach(function (p) { if (p[1]) p[0].value = p[1]; });
  var t0 = performance.now();
  apply();
  document.body.setAttribute('data-filter-ms', String(Math.round(performance.now() - t0)));
  if (H.alert) {
    var tr = body.querySelector('tr.row[data-id="' + H.alert.replace(/[^0-9a-f]/g, '') + '"]');
    if (tr && !tr.classList.contains('open')) { toggle(tr); tr.scrollIntoView(); }
  }
  document.body.setAttribute('data-ready', 'true');
})();
