/* The adoption timeline chart (/links/timeline): cumulative adopters per year, all together and
 * per province, drawn with Chart.js (web/assets/node_modules, served by web/pages/links.py).
 * The numbers come from the page's JSON block #timeline-config; the table under the chart holds
 * the same numbers for readers without the chart. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("timeline-config").textContent);
  var canvas = document.getElementById("timeline-chart");
  var status = document.getElementById("chart-status");
  if (!canvas || !config.chart.years.length) { return; }
  if (!window.Chart) {
    status.textContent = config.messages.missing;
    return;
  }
  // one colour per line, distinguishable when printed in grey too (lightness varies)
  var PALETTE = ["#1f5f99", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#16a085", "#7f8c8d", "#a04000"];
  // and one point shape, so that provinces whose lines coincide still show each its points
  var SHAPES = ["rect", "triangle", "rectRot", "crossRot", "star", "circle", "rectRounded", "cross"];

  var datasets = [{
    label: config.messages.all, data: config.chart.total, borderColor: "#222", backgroundColor: "#222",
    borderWidth: 3, tension: 0
  }];
  config.chart.provinces.forEach(function (line, index) {
    var colour = PALETTE[index % PALETTE.length];
    datasets.push({
      label: line.province || config.messages.no_province, data: line.values, borderColor: colour,
      backgroundColor: colour, borderWidth: 2, borderDash: [6, 3], tension: 0,
      pointStyle: SHAPES[index % SHAPES.length], pointRadius: 5 + (index % 3)
    });
  });

  var chart = new window.Chart(canvas, {
    type: "line",
    data: { labels: config.chart.years.map(String), datasets: datasets },
    options: {
      // no animation: the chart is complete as soon as it is drawn (screenshots, printing)
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { title: { display: true, text: config.messages.x } },
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: config.messages.y } }
      },
      plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } }
    }
  });
  canvas.setAttribute("data-drawn", String(chart.data.datasets.length));
  status.textContent = config.messages.drawn.replace("{count}", String(datasets.length - 1));
})();
