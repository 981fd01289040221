// IMP dashboard: live values over Server-Sent Events, and small helpers.
// No build step, no dependencies. Elements opt in with data attributes:
//   data-live="key"        text replaced by the value of key
//   data-live-class="key"  state class (ok, warn, bad, muted) replaced
//   data-live-svg="key"    inner SVG replaced (drawn by the server)
(function () {
  "use strict";
  var STATES = ["ok", "warn", "bad", "muted"];

  function apply(view) {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var v = view.text[el.getAttribute("data-live")];
      if (v !== undefined && el.textContent !== v) {
        el.textContent = v;
        el.classList.remove("flash-change");
        void el.offsetWidth; // restart the highlight animation
        el.classList.add("flash-change");
      }
    });
    document.querySelectorAll("[data-live-class]").forEach(function (el) {
      var k = el.getAttribute("data-live-class");
      if (!(k in view.class)) return;
      STATES.forEach(function (c) { el.classList.remove(c); });
      if (view.class[k]) el.classList.add(view.class[k]);
    });
    document.querySelectorAll("[data-live-svg]").forEach(function (el) {
      var v = view.svg[el.getAttribute("data-live-svg")];
      if (v !== undefined && el.innerHTML !== v) el.innerHTML = v;
    });
  }

  function connect() {
    var meta = document.querySelector('meta[name="imp-events"]');
    if (!meta || !window.EventSource) return;
    var badge = document.getElementById("live");
    var es = new EventSource(meta.getAttribute("content"));
    es.addEventListener("live", function (e) {
      try { apply(JSON.parse(e.data)); } catch (err) { return; }
      if (badge) badge.classList.remove("offline");
      document.documentElement.setAttribute("data-live-at", String(Date.now()));
    });
    es.onerror = function () { if (badge) badge.classList.add("offline"); };
  }

  function selectAll() {
    document.querySelectorAll("input.select-all").forEach(function (box) {
      box.addEventListener("change", function () {
        var form = box.closest("form");
        if (!form) return;
        form.querySelectorAll('input[type="checkbox"][name="sel"]').forEach(function (c) { c.checked = box.checked; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    connect();
    selectAll();
  });
})();
