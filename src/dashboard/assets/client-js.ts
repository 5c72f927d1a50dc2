/*
 * The dashboard's browser script, served as /assets/dashboard.js. Kept as a string module so
 * tsc ships it in dist/ with no copy step. Plain ES2020, no template literals (this is one).
 * It never writes markup from data: text goes through textContent, and refreshed sections are
 * the server's own escaped HTML parsed with DOMParser (which runs no scripts).
 */
export const CLIENT_JS = `(function () {
  'use strict';
  var KEY = 'tp-token';
  var body = document.body;
  var starts = {};

  function token() { return sessionStorage.getItem(KEY) || ''; }
  function authHeaders(t) {
    var given = t || token();
    return given ? { Authorization: 'Bearer ' + given } : {};
  }
  function formatMs(ms) {
    if (ms === undefined || ms === null || !isFinite(ms)) return '-';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
  }
  var liveText = 'connecting';
  function setLive(text) {
    liveText = text;
    var el = document.getElementById('live');
    if (el) el.textContent = text;
  }

  // Server-rendered sections are swapped in whole: one place formats and escapes.
  var refreshing = null;
  var again = false;
  function refresh(all) {
    if (refreshing) { again = true; return refreshing; }
    refreshing = fetch('/dashboard', { headers: authHeaders(), cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) {
          setLive('token needed');
          return null;
        }
        return res.text();
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        if (all || body.getAttribute('data-locked') === '1') {
          swap(doc, 'main');
          swap(doc, 'footer');
          // The server's footer says "static": keep showing the stream's state.
          setLive(liveText);
          body.setAttribute('data-locked', doc.body.getAttribute('data-locked') || '0');
          starts = {};
          bindPage();
        } else {
          ['summary', 'folders', 'queue', 'cluster', 'failures', 'hosts', 'models'].forEach(function (id) { swap(doc, '#' + id); });
          swap(doc, '#generated');
          bindRetries();
          loadTrends();
        }
      })
      .catch(function () { setLive('refresh failed'); })
      .then(function () {
        refreshing = null;
        if (again) { again = false; refresh(false); }
      });
    return refreshing;
  }
  function swap(doc, selector) {
    var fresh = doc.querySelector(selector);
    var old = document.querySelector(selector);
    if (fresh && old) old.replaceWith(document.importNode(fresh, true));
  }
  var timer = null;
  function refreshSoon() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; refresh(false); }, 150);
  }

  // Running table, kept live from the events.
  function runningBody() {
    var table = document.getElementById('running-table');
    return table ? table.tBodies[0] : null;
  }
  function runningRow(taskId, create) {
    var tbody = runningBody();
    if (!tbody) return null;
    var rows = tbody.querySelectorAll('tr[data-task]');
    for (var i = 0; i < rows.length; i++) if (rows[i].getAttribute('data-task') === taskId) return rows[i];
    if (!create) return null;
    var empty = tbody.querySelector('tr.empty');
    if (empty) empty.remove();
    var tr = document.createElement('tr');
    tr.setAttribute('data-task', taskId);
    ['task', 'file', 'stage', 'elapsed', 'model', 'attempt'].forEach(function (f) {
      var td = document.createElement('td');
      td.setAttribute('data-field', f);
      tr.appendChild(td);
    });
    tr.querySelector('[data-field=task]').textContent = taskId;
    tr.querySelector('[data-field=stage]').textContent = 'claimed';
    tbody.appendChild(tr);
    return tr;
  }
  function setCell(tr, field, text) {
    var td = tr.querySelector('[data-field="' + field + '"]');
    if (td) { td.textContent = text; td.setAttribute('data-value', text); }
  }
  function removeRunning(taskId) {
    var tr = runningRow(taskId, false);
    if (tr) tr.remove();
    delete starts[taskId];
    var tbody = runningBody();
    if (tbody && !tbody.querySelector('tr')) {
      var empty = document.createElement('tr');
      empty.className = 'empty';
      var td = document.createElement('td');
      td.colSpan = 6;
      td.textContent = 'nothing running';
      empty.appendChild(td);
      tbody.appendChild(empty);
    }
  }
  function tick() {
    var tbody = runningBody();
    if (!tbody) return;
    tbody.querySelectorAll('tr[data-task]').forEach(function (tr) {
      var id = tr.getAttribute('data-task');
      if (starts[id] === undefined) {
        var td = tr.querySelector('[data-field=elapsed]');
        var v = td ? Number(td.getAttribute('data-value')) : NaN;
        starts[id] = Date.now() - (isFinite(v) ? v : 0);
      }
      var el = Date.now() - starts[id];
      var cell = tr.querySelector('[data-field=elapsed]');
      if (cell) { cell.textContent = formatMs(el); cell.setAttribute('data-value', String(el)); }
    });
  }

  var handlers = {
    'task.claimed': function (e) {
      var tr = runningRow(e.taskId, true);
      if (!tr) return;
      starts[e.taskId] = Date.now();
      if (e.file) setCell(tr, 'file', e.file);
      setCell(tr, 'attempt', String(e.attempt));
      refreshSoon();
    },
    'task.stage': function (e) {
      var tr = runningRow(e.taskId, true);
      if (!tr) return;
      starts[e.taskId] = Date.now() - e.elapsedMs;
      if (e.file) setCell(tr, 'file', e.file);
      setCell(tr, 'stage', e.stage);
    },
    'attempt.started': function (e) {
      var tr = runningRow(e.taskId, false);
      if (tr) setCell(tr, 'model', e.model);
    },
  };
  ['task.published', 'task.failed', 'task.completed', 'task.requeued', 'task.invalid'].forEach(function (name) {
    handlers[name] = function (e) {
      if (name !== 'task.requeued') removeRunning(e.taskId);
      refreshSoon();
    };
  });
  ['task.queued', 'task.needs_attention', 'breaker.opened', 'breaker.closed', 'breaker.half_open', 'host.healthy', 'host.unhealthy'].forEach(function (name) {
    handlers[name] = handlers[name] || function () { refreshSoon(); };
  });

  var source = null;
  function connect() {
    if (source) source.close();
    var t = token();
    source = new EventSource('/api/events' + (t ? '?token=' + encodeURIComponent(t) : ''));
    var opened = false;
    source.onopen = function () {
      setLive('live');
      // After a drop, events were missed: take the server's view again.
      if (opened) refresh(true);
      opened = true;
    };
    source.onerror = function () { setLive('reconnecting'); };
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (msg) {
        var data;
        try { data = JSON.parse(msg.data); } catch (err) { return; }
        handlers[name](data);
      });
    });
  }

  // Retry: the form posts without JS; with JS it sends the token as a bearer header.
  function bindRetries() {
    document.querySelectorAll('form.retry').forEach(function (form) {
      if (form.getAttribute('data-bound')) return;
      form.setAttribute('data-bound', '1');
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var field = form.querySelector('input[name=token]');
        var out = form.querySelector('.retry-result');
        var headers = authHeaders(field && field.value ? field.value : '');
        headers.Accept = 'application/json';
        fetch(form.getAttribute('action'), { method: 'POST', headers: headers })
          .then(function (res) {
            return res.json().then(function (j) { return { ok: res.ok, status: res.status, j: j }; });
          })
          .then(function (r) {
            if (out) out.textContent = r.ok ? 'requeued' : (r.status + ': ' + (r.j.message || r.j.status));
            form.setAttribute('data-result', r.ok ? 'requeued' : String(r.status));
            if (r.ok) refreshSoon();
          })
          .catch(function () {
            if (out) out.textContent = 'request failed';
            form.setAttribute('data-result', 'error');
          });
      });
    });
  }

  // Trends: done and failed per bucket, mean time on its own axis.
  var chart = null;
  var range = '24h';
  function loadTrends() {
    var el = document.getElementById('trend-chart');
    if (!el || typeof uPlot === 'undefined') return;
    fetch('/api/stats?range=' + range, { headers: authHeaders(), cache: 'no-store' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (s) {
        if (!s || !s.trends) return;
        var p = s.trends;
        var data = [
          p.map(function (x) { return x.t / 1000; }),
          p.map(function (x) { return x.done; }),
          p.map(function (x) { return x.failed; }),
          p.map(function (x) { return x.meanSeconds; }),
        ];
        if (chart) chart.destroy();
        el.textContent = '';
        chart = new uPlot({
          width: Math.max(320, Math.min(900, el.clientWidth || 800)),
          height: 220,
          scales: { n: {}, s: {} },
          series: [
            {},
            { label: 'done', scale: 'n', stroke: '#2e7d32', width: 2 },
            { label: 'failed', scale: 'n', stroke: '#c62828', width: 2 },
            { label: 'mean s', scale: 's', stroke: '#1565c0', dash: [4, 4] },
          ],
          axes: [{}, { scale: 'n', label: 'tasks' }, { scale: 's', side: 1, label: 'seconds', grid: { show: false } }],
        }, data, el);
        el.setAttribute('data-points', String(p.length));
      })
      .catch(function () {});
  }
  function bindTrends() {
    document.querySelectorAll('#trends [data-range]').forEach(function (b) {
      b.addEventListener('click', function () {
        range = b.getAttribute('data-range');
        document.querySelectorAll('#trends [data-range]').forEach(function (o) {
          o.setAttribute('aria-pressed', o === b ? 'true' : 'false');
        });
        loadTrends();
      });
    });
    loadTrends();
  }

  function bindPage() {
    bindRetries();
    bindTrends();
    tick();
  }

  var tokenForm = document.getElementById('token-form');
  if (tokenForm) {
    tokenForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var input = document.getElementById('token');
      if (input && input.value) sessionStorage.setItem(KEY, input.value);
      if (input) input.value = '';
      connect();
      refresh(true);
    });
  }

  if (body.getAttribute('data-locked') === '1') {
    if (token()) refresh(true);
  } else {
    bindPage();
  }
  connect();
  setInterval(tick, 1000);
})();
`;
