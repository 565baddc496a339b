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

  // The library's drop zone: several files at once, each with its own progress and answer. The
  // plain form stays for browsers without it.
  var zone = document.getElementById("dropzone");
  if (zone && window.FormData && window.XMLHttpRequest) {
    var input = zone.querySelector(".dropzone__input");
    var list = zone.querySelector(".dropzone__list");
    var summary = zone.querySelector(".dropzone__summary");
    var refresh = zone.querySelector(".dropzone__refresh");
    var plain = document.querySelector("[data-plain-upload]");
    var msg = function (name) {
      return zone.getAttribute("data-msg-" + name) || "";
    };
    var counts = { total: 0, done: 0, settled: 0 };
    zone.hidden = false;
    if (plain) {
      plain.hidden = true;
    }
    var link = function (text, href) {
      var a = document.createElement("a");
      a.textContent = text;
      a.href = href;
      return a;
    };
    var settle = function (ok) {
      counts.settled += 1;
      if (ok) {
        counts.done += 1;
      }
      if (counts.settled === counts.total) {
        summary.textContent = msg("summary")
          .replace("{done}", counts.done)
          .replace("{total}", counts.total);
        refresh.hidden = counts.done === 0;
      }
    };
    var upload = function (file) {
      var row = document.createElement("li");
      row.className = "dropzone__item";
      var name = document.createElement("span");
      name.className = "dropzone__name";
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", file.name);
      var status = document.createElement("span");
      status.className = "dropzone__status";
      status.textContent = msg("uploading");
      row.append(name, bar, status);
      list.append(row);
      counts.total += 1;
      refresh.hidden = true;
      summary.textContent = "";
      var body = new FormData();
      body.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", zone.getAttribute("data-upload-url"));
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          bar.value = Math.round((event.loaded / event.total) * 100);
        }
      });
      request.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(request.responseText);
        } catch (e) {
          answer = null;
        }
        if (request.status === 201 && answer) {
          bar.value = 100;
          row.classList.add("dropzone__item--done");
          status.textContent = msg("done") + " · ";
          status.append(
            link(answer.missing_alt ? msg("describe") : msg("open"), answer.admin_url)
          );
          settle(true);
        } else {
          row.classList.add("dropzone__item--failed");
          bar.hidden = true;
          status.textContent =
            answer && answer.error ? answer.error.message : msg("failed") + " (" + request.status + ")";
          settle(false);
        }
      });
      request.addEventListener("error", function () {
        row.classList.add("dropzone__item--failed");
        bar.hidden = true;
        status.textContent = msg("failed");
        settle(false);
      });
      request.send(body);
    };
    var take = function (files) {
      Array.prototype.forEach.call(files || [], upload);
    };
    zone.querySelector("[data-choose]").addEventListener("click", function () {
      input.click();
    });
    input.addEventListener("change", function () {
      take(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone--over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.remove("dropzone--over");
      });
    });
    zone.addEventListener("drop", function (event) {
      take(event.dataTransfer && event.dataTransfer.files);
    });
  }
})();
