// The sign-in window's last page (GET /graphql/signin/callback?code&state, or ?error&state):
// hands the answer to the GraphiQL page that started the sign-in, which holds the PKCE
// verifier and closes this window. A BroadcastChannel reaches it although this window has no
// opener (signin.js cuts it off); only pages of this origin hear it, and only the page whose
// state matches can use the code.
"use strict";
(function () {
  var answer = location.search.slice(1);
  // Out of the address bar and the history at once: the code is used elsewhere, once.
  history.replaceState(null, "", location.pathname);
  var channel = new BroadcastChannel("gateway-graphiql-signin");
  channel.postMessage(answer);
  channel.close();
  document.getElementById("message").textContent = new URLSearchParams(answer).has("error")
    ? "Not signed in. You can close this window."
    : "Signed in. You can close this window.";
})();
