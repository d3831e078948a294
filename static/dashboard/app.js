/* Progressive enhancement for the dashboard pages: the trend chart, copy buttons, local
   times and auto-refresh. Pages work without it; CSP forbids inline script, so all
   behaviour lives here and data comes from json_script blocks. */
(function () {
  "use strict";

  var REFRESH_MS = 30000;
  var REFRESH_KEY = "xads.autoRefresh";
  var PALETTE = ["#c9372c", "#1d6fe0", "#b7791f", "#2f8f46", "#7b4bd1", "#8a939f"];
  var charts = [];

  function stack(series) {
    var sums = [];
    return series.map(function (s) {
      return s.values.map(function (v, i) { sums[i] = (sums[i] || 0) + v; return sums[i]; });
    });
  }

  function drawTrend(el) {
    var source = document.getElementById("trend-data");
    if (!source || !window.uPlot) return;
    var trend = JSON.parse(source.textContent);
    var raw = trend.series;
    var stacked = stack(raw);
    var series = [{ value: function (u, ts) { return ts == null ? "" : new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC"; } }];
    raw.forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        fill: PALETTE[i % PALETTE.length] + "55",
        width: 1,
        value: function (u, v, si, idx) {
          var values = raw[si - 1].values;
          if (idx == null) return values.reduce(function (a, b) { return a + b; }, 0) + " in range";
          return values[idx];
        }
      });
    });
    var bands = [];
    for (var i = raw.length; i > 1; i--) bands.push({ series: [i, i - 1] });
    var width = Math.max(el.clientWidth, 280);
    var chart = new window.uPlot({
      width: width, height: 260, series: series, bands: bands,
      scales: { x: { time: true } },
      axes: [{}, { size: 60 }],
      cursor: { points: { show: false } }
    }, [trend.starts].concat(stacked.length ? stacked : []), el);
    charts.push({ chart: chart, el: el });
  }

  function resizeCharts() {
    charts.forEach(function (c) { c.chart.setSize({ width: Math.max(c.el.clientWidth, 280), height: 260 }); });
  }

  function bindCopy(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        var text = target ? target.textContent : "";
        var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(target); });
        } else { selectText(target); }
      });
    });
  }

  function selectText(node) {
    if (!node) return;
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function showLocalTimes(root) {
    root.querySelectorAll("[data-local-time]").forEach(function (node) {
      var out = node.parentNode.querySelector("[data-local-time-out]");
      var moment = new Date(node.getAttribute("datetime"));
      if (out && !isNaN(moment)) out.textContent = "(" + moment.toLocaleString() + " your time)";
    });
  }

  function init(root) {
    charts = [];
    root.querySelectorAll("[data-chart='trend']").forEach(drawTrend);
    bindCopy(root);
    showLocalTimes(root);
    var box = root.querySelector("[data-auto-refresh]");
    if (box) {
      box.checked = localStorage.getItem(REFRESH_KEY) === "1";
      box.addEventListener("change", function () { localStorage.setItem(REFRESH_KEY, box.checked ? "1" : "0"); });
    }
  }

  function refresh() {
    if (localStorage.getItem(REFRESH_KEY) !== "1" || document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Refresh": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("content");
        var content = document.getElementById("content");
        if (!fresh || !content) return;
        var x = window.scrollX, y = window.scrollY;
        content.replaceChildren.apply(content, Array.prototype.slice.call(fresh.childNodes));
        init(content);
        window.scrollTo(x, y);
      })
      .catch(function () { /* try again at the next tick */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    window.addEventListener("resize", resizeCharts);
    setInterval(refresh, REFRESH_MS);
  });
})();

/* Confirm destructive forms (CSP forbids inline onsubmit handlers). */
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
