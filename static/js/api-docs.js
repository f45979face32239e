// Swagger UI for the workspace API: the schema of this host, requests sent with the session
// cookie and its CSRF token (unsafe methods need it under session authentication).
(function () {
  "use strict";
  var script = document.getElementById("api-docs-script");
  var csrfToken = script.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: script.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      request.headers["X-CSRFToken"] = csrfToken;
      return request;
    },
  });
})();
