(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var source = document.getElementById("farmhunt-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function label(parent, x, y, value, cls, anchor) {
    var node = el("text", { x: x, y: y, "class": cls || "", "text-anchor": anchor || "start" }, parent);
    node.textContent = value;
    return node;
  }
  function tip(parent, value) {
    el("title", {}, parent).textContent = value;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function when(ms) {
    var d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
  }

  function hours(container, counts, work, heading) {
    var W = 480, H = 170, L = 36, R = 8, T = 24, B = 22;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, "class": "chart activity", role: "img" }, container);
    tip(svg, heading);
    label(svg, L, 14, heading, "title");
    var max = Math.max.apply(null, counts.concat([1]));
    var step = (W - L - R) / 24;
    var inside = {};
    work.forEach(function (h) { inside[h] = true; });
    work.forEach(function (h) {
      el("rect", { x: L + h * step, y: T, width: step, height: H - T - B, "class": "work" }, svg);
    });
    [0.5, 1].forEach(function (f) {
      var y = H - B - f * (H - T - B);
      el("line", { x1: L, x2: W - R, y1: y, y2: y, "class": "grid" }, svg);
      label(svg, L - 4, y + 3, String(Math.round(max * f)), "", "end");
    });
    counts.forEach(function (count, h) {
      var height = (H - T - B) * count / max;
      var bar = el("rect", {
        x: L + h * step + 1, y: H - B - height, width: Math.max(step - 2, 1), height: height,
        "class": work.length && !inside[h] ? "bar off" : "bar"
      }, svg);
      tip(bar, pad(h) + ":00 to " + pad(h) + ":59: " + count + " events");
      if (h % 3 === 0) { label(svg, L + h * step + step / 2, H - 8, pad(h), "", "middle"); }
    });
    el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, "class": "axis" }, svg);
  }

  function activity(container, worker) {
    var a = worker.activity;
    if (!a.events) {
      container.appendChild(document.createElement("p")).textContent =
        "No events name this worker as a person (sign-ins, SaaS actions, processes).";
      return;
    }
    hours(container, a.utc, a.work_utc, "Events per hour of day, UTC");
    if (a.local) {
      hours(container, a.local, a.work_local, "Events per hour of day, " + a.timezone + " (claimed)");
    }
  }

  function timeline(container, worker) {
    var findings = worker.findings;
    if (!findings.length) {
      container.appendChild(document.createElement("p")).textContent = "No findings.";
      return;
    }
    var first = data.range.first, last = data.range.last;
    if (first === null || last === null) {
      findings.forEach(function (f) {
        if (f.first !== null && (first === null || f.first < first)) { first = f.first; }
        if (f.last !== null && (last === null || f.last > last)) { last = f.last; }
      });
    }
    if (first === null) { first = 0; }
    if (last === null || last <= first) { last = first + 3600000; }
    var margin = Math.max((last - first) * 0.02, 3600000);
    first -= margin;
    last += margin;
    var W = 960, L = 262, R = 18, T = 30, row = 22;
    var H = T + row * findings.length + 8;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, "class": "chart timeline", role: "img" }, container);
    tip(svg, "Findings over time: each line spans a finding's first to last event; dots are its events");
    function x(ms) { return L + (W - L - R) * (Math.min(Math.max(ms, first), last) - first) / (last - first); }
    var day = 86400000, days = (last - first) / day;
    var stride = days > 120 ? 30 : days > 40 ? 7 : days > 14 ? 2 : 1;
    for (var t = Math.ceil(first / day) * day, n = 0; t <= last; t += day, n++) {
      if (n % stride !== 0) { continue; }
      el("line", { x1: x(t), x2: x(t), y1: T - 6, y2: H - 4, "class": "grid" }, svg);
      label(svg, x(t) + 2, T - 10, new Date(t).toISOString().slice(5, 10), "", "start");
    }
    label(svg, 4, 14, "Findings over time (UTC)", "title");
    findings.forEach(function (f, i) {
      var y = T + row * i + row / 2;
      var name = f.title.length > 40 ? f.title.slice(0, 39) + "\u2026" : f.title;
      tip(label(svg, 4, y + 4, name, "", "start"), f.title);
      if (f.first !== null) {
        var span = el("line", { x1: x(f.first), x2: Math.max(x(f.last), x(f.first) + 1), y1: y, y2: y, "class": "span " + f.severity }, svg);
        tip(span, f.title + ": " + when(f.first) + " to " + when(f.last));
        if (f.first < first) { tip(label(svg, L - 2, y + 4, "\u25C0", "beyond", "end"), "began " + when(f.first)); }
        if (f.last > last) { tip(label(svg, W - R + 2, y + 4, "\u25B6", "beyond", "start"), "until " + when(f.last)); }
      }
      f.events.forEach(function (ms) {
        tip(el("circle", { cx: x(ms), cy: y, r: 4, "class": "dot " + f.severity }, svg), when(ms));
      });
    });
  }

  document.querySelectorAll("[data-chart]").forEach(function (container) {
    var worker = data.workers[Number(container.getAttribute("data-worker"))];
    if (!worker) { return; }
    if (container.getAttribute("data-chart") === "activity") { activity(container, worker); }
    else { timeline(container, worker); }
  });

  var filter = document.getElementById("filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var query = filter.value.trim().toLowerCase();
      document.querySelectorAll("#ranked tbody tr").forEach(function (tr) {
        tr.classList.toggle("hidden", query !== "" && tr.textContent.toLowerCase().indexOf(query) < 0);
      });
    });
  }
})();
