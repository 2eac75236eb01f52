/* The query editor (/query): runs SPARQL against the endpoint with fetch, shows the answer as a
 * table with labels, offers downloads and a share link. Configuration and messages come from the
 * page's JSON block #editor-config (inline scripts are refused by the page's CSP).
 * CodeMirror is optional: without it the plain textarea is the editor. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var M = config.messages;
  var ID_NAMESPACE = config.prefixes.fzid;
  var LABEL_BATCH = 5000;
  var COMMENT_LINES = 3;

  var form = document.getElementById("query-form");
  var textarea = document.getElementById("query-text");
  var viewSelect = document.getElementById("view-select");
  var statusLine = document.getElementById("status");
  var results = document.getElementById("results");
  var downloads = document.getElementById("downloads");
  var shareBox = document.getElementById("share-box");
  var shareLink = document.getElementById("share-link");
  var provenance = document.getElementById("provenance");

  var editor = null;
  var last = null;  // the answer on screen: {query, sent, kind, json, ntriples, version, exported, count}

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

  function setStatus(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "status" + (kind ? " status-" + kind : "");
  }

  // ---------------------------------------------------------------- editor

  if (window.CodeMirror) {
    editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "application/sparql-query", lineNumbers: true, matchBrackets: true, indentUnit: 2,
      viewportMargin: Infinity,
      extraKeys: { "Ctrl-Enter": function () { run(); }, "Cmd-Enter": function () { run(); } }
    });
  } else {
    textarea.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); }
    });
  }

  function getQuery() { return editor ? editor.getValue() : textarea.value; }
  function setQuery(text) { if (editor) { editor.setValue(text); } else { textarea.value = text; } }

  /* The endpoint predeclares no prefixes; declare the project's ones the query uses but does not
   * declare, so that a query typed as "SELECT * { ?s fz:year ?y }" runs. */
  function withPrefixes(query) {
    var declared = {};
    query.replace(/^\s*PREFIX\s+([A-Za-z][\w-]*)?:/gim, function (whole, prefix) { declared[prefix] = true; return whole; });
    var bare = query.replace(/<[^>\s]*>/g, "");
    var lines = [];
    Object.keys(config.prefixes).forEach(function (prefix) {
      var used = new RegExp("(^|[^\\w:/#<\"'])" + prefix + ":").test(bare);
      if (used && !declared[prefix]) { lines.push("PREFIX " + prefix + ": <" + config.prefixes[prefix] + ">"); }
    });
    return lines.length ? lines.join("\n") + "\n" + query : query;
  }

  function shareUrl(query, view) {
    var params = new URLSearchParams({ q: query, view: view });
    return window.location.origin + "/query?" + params.toString();
  }

  // ---------------------------------------------------------------- running

  function run() {
    var query = getQuery();
    if (!query.trim()) { setStatus(M.no_query, "error"); return Promise.resolve(); }
    var view = viewSelect.value;
    var sent = withPrefixes(query);
    window.history.replaceState(null, "", shareUrl(query, view).slice(window.location.origin.length));
    setStatus(M.running, "running");
    results.textContent = "";
    results.removeAttribute("data-state");
    downloads.hidden = true;
    var started = performance.now();
    return fetch(config.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        // the endpoint picks by the query form: JSON for SELECT/ASK, N-Triples for CONSTRUCT/DESCRIBE
        "Accept": "application/sparql-results+json, application/n-triples;q=0.9"
      },
      body: new URLSearchParams({ query: sent }).toString()
    }).then(function (response) {
      return response.text().then(function (body) {
        var seconds = (performance.now() - started) / 1000;
        if (!response.ok) { showError(response, body); return; }
        show(response, body, { query: query, sent: sent, view: view, seconds: seconds });
      });
    }).catch(function (error) {
      setStatus(format(M.network, { message: error.message }), "error");
      results.setAttribute("data-state", "error");
    });
  }

  function showError(response, body) {
    var message = body;
    try { message = JSON.parse(body).message || body; } catch (ignored) { /* plain text error */ }
    var key = response.status === 504 ? "timeout" : response.status === 503 ? "busy" : "error";
    setStatus(format(M[key], { status: response.status, message: message, deadline: config.deadline }), "error");
    results.setAttribute("data-state", "error");
  }

  function show(response, body, run) {
    var type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    var truncated = response.headers.get("X-Fzkg-Truncated") === "true";
    var cap = response.headers.get("X-Fzkg-Result-Cap") || config.resultCap;
    last = {
      query: run.query, sent: run.sent, view: run.view,
      version: response.headers.get("X-Fzkg-Data-Version") || "",
      exported: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      truncated: truncated
    };
    var table;
    if (type === "application/n-triples") {
      last.kind = "graph";
      last.ntriples = body;
      table = triplesAsTable(body);
      last.count = table.rows.length;
    } else {
      var json = JSON.parse(body);
      last.json = json;
      if (Object.prototype.hasOwnProperty.call(json, "boolean")) {
        last.kind = "boolean";
        last.count = 1;
      } else {
        last.kind = "table";
        table = { columns: json.head.vars, rows: json.results.bindings };
        last.count = table.rows.length;
      }
    }
    last.table = table;
    var parts = [];
    if (last.kind === "boolean") {
      parts.push(format(M.boolean, { value: last.json.boolean }));
    } else {
      parts.push(format(last.kind === "graph" ? M.triples : M.rows, { count: last.count }));
    }
    parts.push(run.seconds.toFixed(2) + " s");
    if (last.version) { parts.push(format(M.version, { version: last.version })); }
    setStatus(parts.join(" · "), truncated ? "warning" : "ok");
    if (truncated) {
      results.appendChild(element("p", { "class": "notice truncated", role: "alert" }, format(M.truncated, { cap: cap })));
    }
    if (run.view === "json") {
      results.appendChild(element("pre", { "class": "raw" }, last.kind === "graph" ? body : JSON.stringify(last.json, null, 2)));
    } else if (last.kind === "boolean") {
      results.appendChild(element("p", { "class": "boolean" }, String(last.json.boolean)));
    } else if (last.count === 0) {
      results.appendChild(element("p", { "class": "empty" }, M.empty));
    } else {
      results.appendChild(renderTable(table));
    }
    results.setAttribute("data-state", "done");
    offerDownloads();
  }

  // ---------------------------------------------------------------- the table

  function renderTable(table) {
    var wrapper = element("div", { "class": "table-wrapper" });
    var node = element("table", { "class": "result-table", id: "result-table" });
    var head = element("thead");
    var headRow = element("tr");
    table.columns.forEach(function (name) { headRow.appendChild(element("th", { scope: "col" }, name)); });
    head.appendChild(headRow);
    node.appendChild(head);
    var tbody = element("tbody");
    var iris = {};
    table.rows.forEach(function (row) {
      var tr = element("tr");
      table.columns.forEach(function (name) {
        var td = element("td");
        var term = row[name];
        if (term) { td.appendChild(renderTerm(term)); if (term.type === "uri") { iris[term.value] = true; } }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    node.appendChild(tbody);
    wrapper.appendChild(node);
    fetchLabels(Object.keys(iris), node);
    return wrapper;
  }

  function compact(iri) {
    var best = null;
    Object.keys(config.prefixes).forEach(function (prefix) {
      var ns = config.prefixes[prefix];
      if (iri.indexOf(ns) === 0 && (best === null || ns.length > config.prefixes[best].length)) { best = prefix; }
    });
    return best === null ? iri : best + ":" + iri.slice(config.prefixes[best].length);
  }

  function entityPath(iri) {
    return iri.indexOf(ID_NAMESPACE) === 0 ? "/id/" + iri.slice(ID_NAMESPACE.length) : null;
  }

  function renderTerm(term) {
    if (term.type === "uri") {
      var path = entityPath(term.value);
      var node = path ? element("a", { href: path, title: term.value, "class": "iri", "data-iri": term.value }, compact(term.value))
        : element("span", { title: term.value, "class": "iri", "data-iri": term.value }, compact(term.value));
      return node;
    }
    if (term.type === "bnode") { return element("span", { "class": "bnode" }, "_:" + term.value); }
    var span = element("span", { "class": "literal" }, term.value);
    if (term["xml:lang"]) { span.setAttribute("lang", term["xml:lang"]); }
    return span;
  }

  function fetchLabels(iris, table) {
    for (var start = 0; start < iris.length; start += LABEL_BATCH) {
      fetch("/labels", {
        method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ iris: iris.slice(start, start + LABEL_BATCH) })
      }).then(function (response) { return response.ok ? response.json() : { labels: {} }; })
        .then(function (answer) {
          table.querySelectorAll("[data-iri]").forEach(function (node) {
            var label = answer.labels[node.getAttribute("data-iri")];
            if (label && label !== node.textContent) {
              node.textContent = label;
              node.classList.add("labelled");
            }
          });
        }).catch(function () { /* labels are a nicety: the IRIs stay readable as prefixed names */ });
    }
  }

  // N-Triples (the endpoint's answer to CONSTRUCT/DESCRIBE) as rows in the SPARQL JSON shape
  var TERM = /\s*(<[^>]*>|_:[^\s]+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)/y;

  function unescapeLiteral(text) {
    return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, function (whole, code) {
      var simple = { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", '"': '"', "'": "'", "\\": "\\" };
      if (code[0] === "u" || code[0] === "U") { return String.fromCodePoint(parseInt(code.slice(1), 16)); }
      return Object.prototype.hasOwnProperty.call(simple, code) ? simple[code] : whole;
    });
  }

  function parseTerm(text) {
    if (text[0] === "<") { return { type: "uri", value: text.slice(1, -1) }; }
    if (text.slice(0, 2) === "_:") { return { type: "bnode", value: text.slice(2) }; }
    var match = /^"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?$/.exec(text);
    var term = { type: "literal", value: unescapeLiteral(match[1]) };
    if (match[2]) { term["xml:lang"] = match[2]; }
    if (match[3]) { term.datatype = match[3]; }
    return term;
  }

  function triplesAsTable(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      if (!line.trim() || line.trim()[0] === "#") { return; }
      TERM.lastIndex = 0;
      var terms = [];
      for (var i = 0; i < 3; i += 1) {
        var match = TERM.exec(line);
        if (!match) { return; }
        terms.push(parseTerm(match[1]));
      }
      rows.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
    });
    return { columns: ["subject", "predicate", "object"], rows: rows };
  }

  // ---------------------------------------------------------------- downloads

  function offerDownloads() {
    var graph = last.kind === "graph";
    var tabular = last.kind !== "boolean";
    document.getElementById("download-csv").hidden = !tabular;
    document.getElementById("download-tsv").hidden = !tabular;
    document.getElementById("download-json").hidden = graph;
    document.getElementById("download-turtle").hidden = !graph;
    document.getElementById("download-ntriples").hidden = !graph;
    downloads.hidden = false;
  }

  function plainValue(term) {
    if (!term) { return ""; }
    return term.type === "bnode" ? "_:" + term.value : term.value;
  }

  function commentLines(rowsWord) {
    var share = shareUrl(last.query, last.view);
    return [
      "# fzkg SPARQL export · data version " + last.version + " · exported " + last.exported + " · " +
        last.count + " " + rowsWord + (last.truncated ? " (truncated)" : ""),
      "# query: " + share,
      "# " + COMMENT_LINES + " comment lines precede the header: pandas.read_csv(path, skiprows=" + COMMENT_LINES +
        ") · R read.csv(path, skip=" + COMMENT_LINES + ")"
    ];
  }

  function csvField(value) {
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function tsvField(value) {
    return value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
  }

  function delimited(separator, field) {
    var table = last.table;
    var lines = [];
    if (provenance.checked) { lines = lines.concat(commentLines(last.kind === "graph" ? "triples" : "rows")); }
    lines.push(table.columns.map(field).join(separator));
    table.rows.forEach(function (row) {
      lines.push(table.columns.map(function (name) { return field(plainValue(row[name])); }).join(separator));
    });
    return lines.join("\r\n") + "\r\n";
  }

  function metadata() {
    return { query: last.sent, share: shareUrl(last.query, last.view), data_version: last.version,
      exported: last.exported, endpoint: window.location.origin + config.endpoint, truncated: last.truncated };
  }

  function rdfComments() {
    var lines = ["# fzkg SPARQL export · data version " + last.version + " · exported " + last.exported +
      " · " + last.count + " triples" + (last.truncated ? " (truncated)" : ""),
    "# share: " + shareUrl(last.query, last.view), "# query:"];
    last.sent.split("\n").forEach(function (line) { lines.push("#   " + line); });
    return lines.join("\n") + "\n";
  }

  function save(content, extension, type) {
    var stamp = last.exported.replace(/[-:]/g, "");
    var name = "fzkg-query-" + (last.version || "data") + "-" + stamp + "." + extension;
    var blob = new Blob([content], { type: type });
    var link = element("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function download(kind) {
    if (!last) { return; }
    if (kind === "csv") {
      // the byte order mark tells Excel the file is UTF-8, so the Chinese text opens intact
      save("\ufeff" + delimited(",", csvField), "csv", "text/csv;charset=utf-8");
    } else if (kind === "tsv") {
      save(delimited("\t", tsvField), "tsv", "text/tab-separated-values;charset=utf-8");
    } else if (kind === "json") {
      var body = Object.assign({}, last.json);
      if (provenance.checked) { body.fzkg = Object.assign({}, body.fzkg || {}, metadata()); }
      save(JSON.stringify(body, null, 1), "json", "application/sparql-results+json");
    } else if (kind === "ntriples") {
      save((provenance.checked ? rdfComments() : "") + last.ntriples, "nt", "application/n-triples");
    } else if (kind === "turtle") {
      fetch(config.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "Accept": "text/turtle" },
        body: new URLSearchParams({ query: last.sent }).toString()
      }).then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) { showError(response, text); return; }
          save((provenance.checked ? rdfComments() : "") + text, "ttl", "text/turtle;charset=utf-8");
        });
      });
    }
  }

  downloads.addEventListener("click", function (event) {
    var button = event.target.closest("[data-download]");
    if (button) { download(button.getAttribute("data-download")); }
  });

  // ---------------------------------------------------------------- share, gallery, start

  document.getElementById("share-button").addEventListener("click", function () {
    var url = shareUrl(getQuery(), viewSelect.value);
    shareBox.hidden = false;
    shareLink.value = url;
    shareLink.select();
    window.history.replaceState(null, "", url.slice(window.location.origin.length));
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(function () { setStatus(M.copied, "ok"); }, function () {});
    }
  });

  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });

  viewSelect.addEventListener("change", function () { if (last) { run(); } });

  document.querySelectorAll("a.example").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var example = config.examples.filter(function (e) { return e.id === link.getAttribute("data-example"); })[0];
      if (!example) { return; }
      event.preventDefault();
      setQuery(example.query);
      viewSelect.value = example.view || "table";
      run();
    });
  });

  if (config.run) { run(); }
}());
