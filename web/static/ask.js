/* The question box and the answer page (/ask). Enter asks (Shift+Enter starts a new line, as in
 * a chat box); the answer page gets a button that copies its SPARQL. Without this script the
 * form still submits with its button and the SPARQL can be selected by hand. */
(function () {
  "use strict";

  var box = document.getElementById("question");
  var form = document.getElementById("ask-form");
  if (box && form) {
    box.addEventListener("keydown", function (event) {
      // isComposing: Enter that confirms a pinyin candidate must not send a half-typed question
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (box.value.trim()) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
      }
    });
  }

  var copy = document.getElementById("copy-sparql");
  var text = document.getElementById("sparql-text");
  if (copy && text && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(text.textContent).then(function () {
        copy.textContent = copy.getAttribute("data-copied");
      });
    });
  }
})();
