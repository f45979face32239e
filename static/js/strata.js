// Behaviour the pages declare with data attributes, so no page needs an inline script (the
// Content-Security-Policy allows scripts from Strata's own origin only).
//   <form data-confirm="Delete this?">     asks before it is sent
//   <select data-autosubmit>               sends its form when changed
//   <button data-copy="element-id">        copies that element's text
//   <a href="/" data-back>                 goes back in history (the href without script)
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof HTMLSelectElement && field.dataset.autosubmit !== undefined && field.form) {
      field.form.requestSubmit();
    }
  });
  document.addEventListener("click", function (event) {
    var back = event.target instanceof Element ? event.target.closest("[data-back]") : null;
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
      return;
    }
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) {
      return;
    }
    var source = document.getElementById(button.dataset.copy);
    if (source) {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
      });
    }
  });
})();
