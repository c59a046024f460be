// Start Swagger UI on /api/docs. A file rather than an inline script, so the page works under a Content Security
// Policy without 'unsafe-inline'; the description's URL comes from the page.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-url"),
    domNode: root,
    deepLinking: true,
    // Swagger UI would otherwise ask swagger.io to validate the description: nothing leaves this site.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
