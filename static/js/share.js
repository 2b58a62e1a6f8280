// Share links: the "Copy link" button. Without JavaScript the link stays selectable text.
(function () {
  "use strict";

  function announce(button) {
    var status = document.getElementById("copy-status");
    if (status) status.textContent = status.dataset.copied || "";
    button.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.dataset.copy);
    if (!input) return;
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { announce(button); });
    } else if (document.execCommand && document.execCommand("copy")) {
      announce(button);
    }
  });
})();
