// Comforts of the admin area; every form works without this file.
(function () {
  "use strict";

  // The error summary takes the focus, so a screen reader announces it and Tab reaches its links.
  var summary = document.querySelector("[data-focus]");
  if (summary) {
    summary.focus();
  }

  // Links of the error summary move the focus to their field, not only the view.
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      var target = field.matches("fieldset") ? field.querySelector("input") || field : field;
      target.focus();
      field.scrollIntoView({ block: "center" });
    });
  });

  // Actions that are hard to undo ask first.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // A secret shown once can be copied with one click.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "✓";
      });
    });
  });
})();
