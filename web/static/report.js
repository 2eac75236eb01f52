// Marks the character range named in the URL fragment (#char=START,END, RFC 5147) in the report
// text and scrolls it into view. The page cuts the text into leaf elements carrying data-start and
// data-end (offsets in Unicode code points, as the server counts them); a range can begin or end
// inside a leaf, so the leaf's text node is split there.
(function () {
  "use strict";
  var MARK_CLASS = "evidence-mark";
  var FRAGMENT = /^#char=(\d+),(\d+)$/;

  function textRoot() { return document.getElementById("report-text"); }

  // JavaScript strings count UTF-16 code units; characters outside the BMP (rare CJK) take two.
  function unitsFor(text, codePoints) {
    var units = 0;
    for (var n = 0; n < codePoints && units < text.length; n++) {
      var code = text.charCodeAt(units);
      units += (code >= 0xd800 && code <= 0xdbff) ? 2 : 1;
    }
    return units;
  }

  function clear() {
    var root = textRoot();
    if (!root) { return; }
    Array.prototype.forEach.call(root.querySelectorAll("mark." + MARK_CLASS), function (mark) {
      var parent = mark.parentNode;
      while (mark.firstChild) { parent.insertBefore(mark.firstChild, mark); }
      parent.removeChild(mark);
      parent.normalize();
    });
    Array.prototype.forEach.call(document.querySelectorAll(".fact.current"), function (fact) {
      fact.classList.remove("current");
    });
    var status = document.getElementById("evidence-status");
    if (status) { status.hidden = true; }
  }

  function mark(start, end) {
    var root = textRoot();
    if (!root) { return; }
    var first = null;
    Array.prototype.forEach.call(root.querySelectorAll(".seg"), function (leaf) {
      var from = Number(leaf.getAttribute("data-start"));
      var to = Number(leaf.getAttribute("data-end"));
      if (to <= start || from >= end || !leaf.firstChild) { return; }
      var node = leaf.firstChild;
      var range = document.createRange();
      range.setStart(node, unitsFor(node.data, Math.max(start, from) - from));
      range.setEnd(node, unitsFor(node.data, Math.min(end, to) - from));
      var highlight = document.createElement("mark");
      highlight.className = MARK_CLASS;
      range.surroundContents(highlight);
      if (!first) { first = highlight; }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".evidence-link"), function (link) {
      if (link.getAttribute("href") === "#char=" + start + "," + end) {
        var fact = link.closest(".fact");
        if (fact) { fact.classList.add("current"); }
      }
    });
    var status = document.getElementById("evidence-status");
    if (status) {
      status.querySelector("span").textContent = start + "–" + end;
      status.hidden = false;
    }
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.scrollIntoView({block: "center"});
      first.focus({preventScroll: true});
    }
  }

  function apply() {
    clear();
    var match = FRAGMENT.exec(window.location.hash);
    if (!match) { return; }
    var start = Number(match[1]);
    var end = Number(match[2]);
    if (end > start) { mark(start, end); }
  }

  window.addEventListener("hashchange", apply);
  document.addEventListener("DOMContentLoaded", function () {
    var clearLink = document.getElementById("evidence-clear");
    if (clearLink) {
      clearLink.addEventListener("click", function (event) {
        event.preventDefault();
        history.replaceState(null, "", window.location.pathname + window.location.search);
        clear();
      });
    }
    apply();
  });
}());
