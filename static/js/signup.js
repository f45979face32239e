// The sign-up form: suggest a subdomain from the workspace name, and say while the person types
// whether it can be had (the server decides again on submit).
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=signup-form]");
  if (!form) return;
  var name = form.querySelector("input[name=name]");
  var subdomain = form.querySelector("input[name=subdomain]");
  var status = document.getElementById("subdomain-status");
  var edited = subdomain.value !== "";
  var timer = null;
  var latest = 0;

  function suggest(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  }

  function show(state, message) {
    status.textContent = message;
    status.className = "help subdomain-status" + (state ? " is-" + state : "");
  }

  function check() {
    var value = subdomain.value.trim();
    if (!value) { show("", "Lowercase letters, digits and hyphens."); return; }
    var asked = ++latest;
    show("checking", "Checking…");
    fetch(status.dataset.checkUrl + "?subdomain=" + encodeURIComponent(value), {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (response) { return response.json(); }).then(function (answer) {
      if (asked !== latest) return;  // an older answer arriving late
      show(answer.available ? "available" : "taken", answer.message);
    }).catch(function () {
      if (asked === latest) show("", "Could not check just now; it is checked again when you submit.");
    });
  }

  function later() { clearTimeout(timer); timer = setTimeout(check, 250); }

  name.addEventListener("input", function () {
    if (!edited) { subdomain.value = suggest(name.value); later(); }
  });
  subdomain.addEventListener("input", function () { edited = subdomain.value !== ""; later(); });
  if (subdomain.value) check();
})();
