// Concordance page: the lines come with the page; the total and the distributions, which need
// every occurrence counted, are fetched afterwards from /kwic/counts.json (the element holding
// data-counts-url names the request) and filled into the placeholders the page left.
(function () {
  "use strict";

  var box = document.querySelector("[data-counts-url]");
  if (!box) {
    return;
  }
  var levelLabels = JSON.parse(box.getAttribute("data-level-labels") || "{}");

  // The same page with one filter set and the page number dropped, as the server links them.
  function filterHref(param, value) {
    var address = new URL(window.location.href);
    address.searchParams.set(param, String(value));
    address.searchParams.delete("page");
    return address.pathname + address.search;
  }

  function label(param, value) {
    return param === "level" && levelLabels[value] ? levelLabels[value] : String(value);
  }

  function cell(tag, className, text) {
    var element = document.createElement(tag);
    if (className) {
      element.className = className;
    }
    if (text !== undefined) {
      element.textContent = text;
    }
    return element;
  }

  function fillTable(table, values, total) {
    var param = table.getAttribute("data-param");
    var current = new URL(window.location.href).searchParams.get(param);
    var body = table.tBodies[0];
    body.textContent = "";
    if (!values || !values.length) {
      var empty = cell("td", "", "—");
      empty.colSpan = 3;
      body.appendChild(cell("tr")).appendChild(empty);
      return;
    }
    values.forEach(function (item) {
      var value = item[0], count = item[1];
      var row = cell("tr");
      var head = cell("th");
      head.scope = "row";
      var name;
      if (current === String(value)) {
        name = cell("strong", "", label(param, value));
      } else {
        name = cell("a", "", label(param, value));
        name.href = filterHref(param, value);
      }
      head.appendChild(name);
      row.appendChild(head);
      row.appendChild(cell("td", "num", String(count)));
      var bar = cell("span");
      bar.style.width = (total ? (100 * count / total) : 0).toFixed(1) + "%";
      row.appendChild(cell("td", "bar")).appendChild(bar);
      body.appendChild(row);
    });
  }

  function fill(counts) {
    document.querySelectorAll("[data-kwic-total]").forEach(function (element) {
      var template = element.getAttribute("data-template");
      element.textContent = template ? template.replace("{total}", counts.total) : String(counts.total);
    });
    box.querySelectorAll("table[data-distribution]").forEach(function (table) {
      fillTable(table, (counts.distribution || {})[table.getAttribute("data-distribution")], counts.total);
    });
    box.removeAttribute("aria-busy");
  }

  fetch(box.getAttribute("data-counts-url"), {headers: {Accept: "application/json"}, credentials: "same-origin"})
    .then(function (response) {
      if (!response.ok) {
        throw new Error("counts: HTTP " + response.status);
      }
      return response.json();
    })
    .then(fill)
    .catch(function (error) {
      // The lines stay usable; the placeholders say the counts are missing rather than pending.
      box.querySelectorAll("tr.pending td").forEach(function (element) {
        element.textContent = "?";
        element.title = String(error);
      });
      box.removeAttribute("aria-busy");
    });
})();
