// fleetd page enhancements. Optional: the page is complete without them.
//  - auto-refresh every N s (body[data-refresh-sec]) by fetching the same URL
//    and swapping <main>, with a pause/resume control whose state is kept in
//    localStorage. The fetch revalidates the browser's cached copy
//    (`cache: 'no-cache'`: If-None-Match with the page's ETag), so an
//    unchanged snapshot costs a 304 and no re-parse;
//  - live relative times for <time data-ago datetime="..."> ("12 s ago"),
//    measured on the server's clock (body[data-now]);
//  - the "data as of" stale marker once the data is older than its limit.
(function () {
  'use strict';

  var KEY = 'fleetd.autorefresh';
  var body = document.body;
  var period = Number(body.getAttribute('data-refresh-sec')) || 0;
  var skew = 0; // server clock minus browser clock, in ms
  var memory = null; // fallback when localStorage is unavailable

  function readSkew() {
    var serverNow = Date.parse(body.getAttribute('data-now') || '');
    skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
  }

  // Same rules as the server (format::readable_age).
  function readable(secs) {
    var MIN = 60, HOUR = 3600, DAY = 86400;
    function two(big, bigUnit, small, smallUnit) {
      return small === 0 ? big + ' ' + bigUnit : big + ' ' + bigUnit + ' ' + small + ' ' + smallUnit;
    }
    if (secs < MIN) return secs + ' s';
    if (secs < 10 * MIN) return two(Math.floor(secs / MIN), 'min', secs % MIN, 's');
    if (secs < HOUR) return Math.floor(secs / MIN) + ' min';
    if (secs < DAY) return two(Math.floor(secs / HOUR), 'h', Math.floor((secs % HOUR) / MIN), 'min');
    return two(Math.floor(secs / DAY), 'd', Math.floor((secs % DAY) / HOUR), 'h');
  }

  function ageOf(el, now) {
    var t = Date.parse(el.getAttribute('datetime') || '');
    return isNaN(t) ? null : Math.max(0, Math.round((now - t) / 1000));
  }

  function updateTimes() {
    var now = Date.now() + skew;
    var times = document.querySelectorAll('time[data-ago]');
    for (var i = 0; i < times.length; i++) {
      var age = ageOf(times[i], now);
      if (age !== null) times[i].textContent = readable(age) + ' ago';
    }
    var fresh = document.getElementById('data-freshness');
    var marker = document.getElementById('stale-marker');
    if (fresh && marker) {
      var limit = Number(fresh.getAttribute('data-stale-after')) || 0;
      var time = fresh.querySelector('time[datetime]');
      var dataAge = time ? ageOf(time, now) : null;
      var stale = document.querySelector('.stale-banner') !== null ||
        (limit > 0 && dataAge !== null && dataAge > limit);
      marker.hidden = !stale;
      fresh.classList.toggle('stale', stale);
    }
  }

  function loadPaused() {
    try { return window.localStorage.getItem(KEY) === 'paused'; } catch (e) { return memory === 'paused'; }
  }

  function savePaused(paused) {
    var value = paused ? 'paused' : 'running';
    try { window.localStorage.setItem(KEY, value); } catch (e) { memory = value; }
  }

  readSkew();
  updateTimes();
  window.setInterval(updateTimes, 1000);

  var toggle = document.getElementById('refresh-toggle');
  var state = document.getElementById('refresh-state');
  if (!period || !toggle || !state || !window.fetch || !window.DOMParser) {
    if (state) state.textContent = '';
    return;
  }

  var paused = loadPaused();
  var busy = false;
  var lastNote = '';
  var lastTag = null; // ETag of the page last swapped in

  function clock(date) {
    return date.toISOString().slice(11, 19) + ' UTC';
  }

  function show(note, failed) {
    lastNote = note || lastNote;
    toggle.hidden = false;
    toggle.textContent = paused ? 'resume' : 'pause';
    toggle.setAttribute('aria-pressed', paused ? 'true' : 'false');
    toggle.title = paused ? 'resume auto-refresh' : 'pause auto-refresh';
    var text = paused ? 'auto-refresh paused' : 'auto-refresh every ' + period + ' s';
    state.textContent = lastNote ? text + ' \u00b7 ' + lastNote : text;
    state.classList.toggle('failed', !!failed);
  }

  function busyWithForm() {
    var el = document.activeElement;
    return !!el && el !== body && /^(SELECT|INPUT|TEXTAREA)$/.test(el.tagName);
  }

  function refresh() {
    if (paused || busy || document.hidden || busyWithForm()) return;
    busy = true;
    window.fetch(window.location.href, {
      cache: 'no-cache',
      credentials: 'same-origin',
      headers: { Accept: 'text/html' }
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      var tag = response.headers.get('ETag');
      if (tag && tag === lastTag) return null; // revalidated: unchanged
      lastTag = tag;
      return response.text();
    }).then(function (html) {
      if (html === null) {
        updateTimes();
        show('unchanged at ' + clock(new Date(Date.now() + skew)), false);
        return;
      }
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var next = doc.getElementById('main');
      var current = document.getElementById('main');
      if (!next || !current) throw new Error('unexpected page');
      var open = {};
      var details = current.querySelectorAll('details[id]');
      for (var i = 0; i < details.length; i++) open[details[i].id] = details[i].open;
      current.replaceWith(document.importNode(next, true));
      for (var id in open) {
        var el = document.getElementById(id);
        if (el && el.tagName === 'DETAILS') el.open = open[id];
      }
      document.title = doc.title;
      body.className = doc.body.className;
      body.setAttribute('data-now', doc.body.getAttribute('data-now') || '');
      readSkew();
      updateTimes();
      show('updated ' + clock(new Date(Date.now() + skew)), false);
    }).catch(function (err) {
      show('refresh failed at ' + clock(new Date()) + ' (' + err.message + '); data below is older', true);
    }).then(function () {
      busy = false;
    });
  }

  toggle.addEventListener('click', function () {
    paused = !paused;
    savePaused(paused);
    show('', false);
    if (!paused) refresh();
  });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) refresh();
  });
  show('', false);
  window.setInterval(refresh, period * 1000);
})();
