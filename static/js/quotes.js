// Quote editor and catalog: small keyboard and focus helpers on top of htmx. No dependencies.
(function () {
  "use strict";

  // Forms with data-confirm ask before a plain (non-htmx) submit, e.g. deleting a service.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !form.hasAttribute("hx-post")) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    }
  });

  // Escape inside an edit row cancels it (same as its Cancel link).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var row = event.target.closest && event.target.closest("tr.line-edit");
    if (!row) return;
    var cancel = row.querySelector("[data-cancel]");
    if (!cancel) return;
    event.preventDefault();
    // Ask htmx directly rather than clicking: right after a swap the link may not be wired yet.
    var url = cancel.getAttribute("hx-get");
    if (window.htmx && url) {
      window.htmx.ajax("GET", url, { target: cancel.getAttribute("hx-target"), swap: "outerHTML" });
    } else {
      cancel.click();
    }
  });

  // After an htmx swap, put the focus where the server asked (data-focus="<element id>"),
  // so keyboard users stay on the line they moved, saved or cancelled.
  document.addEventListener("htmx:afterSettle", function () {
    var holder = document.querySelector("[data-focus]");
    if (!holder) return;
    var id = holder.getAttribute("data-focus");
    holder.removeAttribute("data-focus");
    var target = document.getElementById(id);
    if (target && document.activeElement !== target) target.focus();
  });

  // Move buttons at either end announce themselves as disabled but stay focusable.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[aria-disabled='true']");
    if (button) event.preventDefault();
  }, true);
})();
