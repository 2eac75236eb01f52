/* The neighbour view (partials/neighbours.html): a node's neighbours in the links graph, fetched
 * from /links/neighbours.json and drawn with Cytoscape.js (web/assets/node_modules, served by
 * web/pages/links.py); clicking a node opens its entity page. The same nodes are listed beside
 * the drawing with a legend of kinds, so the view reads without the drawing too. With
 * data-related-url the related-ranking table is fetched and shown under it.
 * Labels and messages come from the page's JSON block #neighbours-config. */
(function () {
  "use strict";

  var section = document.getElementById("neighbours");
  if (!section) { return; }
  var config = JSON.parse(document.getElementById("neighbours-config").textContent);
  var M = config.messages;
  var status = document.getElementById("neighbour-status");
  var holder = document.getElementById("neighbour-graph");
  var legend = document.getElementById("neighbour-legend");
  var list = document.getElementById("neighbour-list");

  // a colour per kind of node; the legend shows them
  var COLOURS = { program: "#1f77b4", initiative: "#2ca02c", law: "#d62728", document: "#9467bd",
                  jurisdiction: "#ff7f0e", report: "#7f7f7f" };

  function format(text, params) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : whole;
    });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          var message = body && body.error ? body.error.message : String(response.status);
          throw new Error(message);
        }
        return body;
      });
    });
  }

  function kindName(kind) { return config.kinds[kind] || kind; }

  function showLegend(nodes) {
    var seen = {};
    legend.textContent = "";
    nodes.forEach(function (node) {
      if (seen[node.kind]) { return; }
      seen[node.kind] = true;
      var item = element("li", { "data-kind": node.kind });
      var swatch = element("span", { "class": "swatch", "aria-hidden": "true" });
      swatch.style.background = COLOURS[node.kind] || "#999";
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(kindName(node.kind)));
      legend.appendChild(item);
    });
  }

  function showList(nodes) {
    list.textContent = "";
    nodes.slice(1).forEach(function (node) {
      var item = element("li", { "data-node": node.node, "data-kind": node.kind });
      var swatch = element("span", { "class": "swatch", "aria-hidden": "true" });
      swatch.style.background = COLOURS[node.kind] || "#999";
      item.appendChild(swatch);
      item.appendChild(node.href ? element("a", { href: node.href }, node.label) : element("span", {}, node.label));
      var relation = config.relations[node.relation] || node.relation || "";
      var note = kindName(node.kind) + (relation ? " · " + relation : "") + " · " +
        format(M.weight, { weight: node.weight }) + (node.hop > 1 ? " · " + M.via_reports : "");
      item.appendChild(element("small", { "class": "note" }, " " + note));
      list.appendChild(item);
    });
  }

  function draw(data) {
    if (!window.cytoscape) { return false; }
    var maxWeight = 1;
    data.edges.forEach(function (edge) { maxWeight = Math.max(maxWeight, edge.weight || 1); });
    var elements = data.nodes.map(function (node) {
      return { data: { id: node.node, label: node.label, kind: node.kind, href: node.href || "",
                       hop: node.hop, colour: COLOURS[node.kind] || "#999" } };
    });
    data.edges.forEach(function (edge, index) {
      elements.push({ data: { id: "e" + index, source: edge.source, target: edge.target,
                              width: 1 + 5 * (edge.weight || 1) / maxWeight } });
    });
    var cy = window.cytoscape({
      container: holder,
      elements: elements,
      // a static picture: no wheel zoom hijacking the page's scrolling
      userZoomingEnabled: false,
      boxSelectionEnabled: false,
      autoungrabify: false,
      style: [
        { selector: "node", style: {
          "background-color": "data(colour)", label: "data(label)", "font-size": 11,
          "font-family": "sans-serif", color: "#222", "text-valign": "bottom", "text-margin-y": 3,
          "text-wrap": "ellipsis", "text-max-width": 110, width: 14, height: 14 } },
        { selector: "node[hop = 0]", style: { width: 26, height: 26, "font-size": 14, "font-weight": "bold",
          "border-width": 3, "border-color": "#222" } },
        { selector: "edge", style: { width: "data(width)", "line-color": "#b8c4d0", "curve-style": "haystack",
          opacity: 0.8 } }
      ],
      // the node in the middle, its direct neighbours around it, those met through reports outside
      layout: { name: "concentric", concentric: function (node) { return 10 - node.data("hop"); },
                levelWidth: function () { return 1; }, minNodeSpacing: 24, animate: false, padding: 24 }
    });
    placeLabels(cy);
    cy.on("tap", "node", function (event) {
      var href = event.target.data("href");
      if (href) { window.location.href = href; }
    });
    cy.on("mouseover", "node", function () { holder.style.cursor = "pointer"; });
    cy.on("mouseout", "node", function () { holder.style.cursor = ""; });
    holder.setAttribute("data-nodes", String(cy.nodes().length));
    // the drawing stays reachable for scripts driving the page (the browser tests click a node)
    holder.cy = cy;
    return true;
  }

  /* Labels point away from the centre (left of nodes on the left, right on the right, above the
   * top ones, below the bottom ones): labels all under their nodes overlap on a ring. */
  function placeLabels(cy) {
    var centre = cy.nodes("[hop = 0]").position();
    cy.nodes("[hop > 0]").forEach(function (node) {
      var at = node.position(), dx = at.x - centre.x, dy = at.y - centre.y;
      var length = Math.sqrt(dx * dx + dy * dy) || 1;
      // only a node right above or below the centre (within about 6°) has room for a centred label
      if (Math.abs(dx) / length < 0.1) {
        node.style({ "text-halign": "center", "text-valign": dy < 0 ? "top" : "bottom", "text-margin-x": 0,
                     "text-margin-y": dy < 0 ? -3 : 3 });
      } else {
        node.style({ "text-halign": dx < 0 ? "left" : "right", "text-valign": "center",
                     "text-margin-x": dx < 0 ? -4 : 4, "text-margin-y": 0 });
      }
    });
  }

  function showRelated(data, target) {
    target.textContent = "";
    var table = element("table", { "class": "stat related-table", id: "related-table" });
    table.appendChild(element("caption", {}, format(M.related_title, { measure: M.measure })));
    var head = element("tr");
    [M.rank, M.label, M.kind, M.measure, M.together, M.count].forEach(function (name, index) {
      head.appendChild(element("th", { scope: "col", "class": index === 0 || index > 2 ? "num" : "" }, name));
    });
    table.appendChild(element("thead")).appendChild(head);
    var body = element("tbody");
    data.related.forEach(function (row, index) {
      var tr = element("tr", { "data-node": row.node });
      tr.appendChild(element("td", { "class": "num" }, String(index + 1)));
      var name = element("th", { scope: "row" });
      name.appendChild(row.href ? element("a", { href: row.href }, row.label) : document.createTextNode(row.label));
      tr.appendChild(name);
      tr.appendChild(element("td", {}, kindName(row.kind)));
      tr.appendChild(element("td", { "class": "num" }, row.score.toFixed(3)));
      tr.appendChild(element("td", { "class": "num" }, String(row.together)));
      tr.appendChild(element("td", { "class": "num" }, String(row.count)));
      body.appendChild(tr);
    });
    if (!data.related.length) {
      body.appendChild(element("tr")).appendChild(element("td", { colspan: "6" }, M.related_none));
    }
    table.appendChild(body);
    target.appendChild(table);
    var more = element("p", { "class": "note" });
    more.appendChild(element("a", { href: "/links/related?" + new URLSearchParams({ node: data.node.node }) },
                             M.related_more));
    target.appendChild(more);
  }

  getJson(section.getAttribute("data-neighbours-url")).then(function (data) {
    if (data.nodes.length < 2) {
      status.textContent = M.none;
      holder.hidden = true;
      return;
    }
    showLegend(data.nodes);
    showList(data.nodes);
    draw(data);
    status.textContent = format(M.shown, { shown: data.nodes.length - 1, available: data.available });
    section.setAttribute("data-state", "drawn");
  }).catch(function (error) {
    status.textContent = format(M.failed, { message: error.message });
    holder.hidden = true;
    section.setAttribute("data-state", "failed");
  });

  var relatedUrl = section.getAttribute("data-related-url");
  var relatedHolder = document.getElementById("related-inline");
  if (relatedUrl && relatedHolder) {
    getJson(relatedUrl).then(function (data) { showRelated(data, relatedHolder); }).catch(function () {
      relatedHolder.textContent = "";
    });
  }
})();
