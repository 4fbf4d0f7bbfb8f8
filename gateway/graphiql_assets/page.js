// Mounts GraphiQL on the page's options (gateway/graphiql.py writes them); with sign-in
// configured, the fetcher sends the signed-in caller's token (signin.js).
"use strict";
(function () {
  var options = JSON.parse(document.getElementById("graphiql-options").textContent);
  var fetcher = { url: location.pathname };
  if (options.signIn) {
    var signIn = GatewaySignIn(options.signIn, location.pathname);
    document.body.insertBefore(signIn.bar, document.body.firstChild);
    fetcher.fetch = signIn.fetch;
  }
  // The URL fragment carries an initial query (#query=...), since ?query= is GraphQL over GET.
  var fragment = new URLSearchParams(location.hash.slice(1));
  var props = {
    fetcher: GraphiQL.createFetcher(fetcher),
    shouldPersistHeaders: false,
    onEditQuery: function (query) {
      fragment.set("query", query);
      history.replaceState(null, "", "#" + fragment.toString());
    },
  };
  if (options.defaultHeaders) {
    props.defaultHeaders = options.defaultHeaders;
    props.defaultEditorToolsVisibility = "headers";
  }
  if (fragment.has("query")) props.query = fragment.get("query");
  if (fragment.has("variables")) props.variables = fragment.get("variables");
  ReactDOM.render(React.createElement(GraphiQL, props), document.getElementById("graphiql"));
})();
