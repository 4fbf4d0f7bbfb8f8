// GraphiQL's sign-in bar, for a first-party public client of the issuer (it has no secret):
//
//   Sign in  ─▶ a popup window: <authorization_endpoint>?response_type=code&state&nonce
//               &code_challenge=BASE64URL(SHA-256(verifier))&code_challenge_method=S256
//            ◀─ the popup lands on <gateway>/graphql/signin/callback?code&state, whose script
//               (signin-callback.js) passes them back over a BroadcastChannel
//            ─▶ POST <token_endpoint> code + code_verifier ─▶ access token; ID token: who
//   Act for  ─▶ POST <token_endpoint> RFC 8693: subject = that person, actor = own token
//   Sign out ─▶ every token forgotten
//
// The verifier, the state and the tokens live in this closure only: never in storage, a cookie
// or a URL, so reloading the page signs out. The popup is cut off from this page (its opener
// is nulled); the code it hands back is worth nothing without the verifier, which never leaves
// here. Requests GraphiQL sends carry `Authorization: Bearer` unless the headers editor sets
// its own. The endpoints come from the issuer's discovery document.
"use strict";

// A global: page.js calls it when the gateway has sign-in configured.
function GatewaySignIn(config, endpoint) {
  var EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  var ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
  // Whom the signed-in citizen may act for, in this platform's schema: the minors in their
  // care, and the principals of mandates they accepted. A schema without them offers no one.
  var CANDIDATES =
    "{ me { guardianOf { personalId name { given family } } " +
    "mandates { principalId delegateId status themes } } }";
  var redirectUri = new URL(config.callback, location.href).href;

  var own = null; // { token, sub, name }
  var acting = null; // { token, subject, name }
  var pending = null; // { state, verifier, nonce, popup }: a sign-in under way
  var candidates = []; // [{ subject, name, why }]
  var timers = { own: 0, acting: 0 };
  var choices = 0; // the latest "act for" choice; an older answer arriving late is dropped
  var discovery = null;

  var bar = element("div", { class: "signin", role: "region", "aria-label": "Sign-in" });
  var who = element("span", { id: "signin-who", role: "status" });
  var actForLabel = element("label", {}, "Act for ");
  var actFor = element("select", { id: "act-for" });
  var signInButton = element("button", { id: "signin-button", type: "button" }, "Sign in");
  var signOutButton = element("button", { id: "signout-button", type: "button" }, "Sign out");
  var message = element("span", { id: "signin-message", role: "alert" });
  actForLabel.appendChild(actFor);
  [who, actForLabel, signInButton, signOutButton, message].forEach(function (node) {
    bar.appendChild(node);
  });
  signInButton.addEventListener("click", signIn);
  signOutButton.addEventListener("click", function () {
    signOut();
    say("");
  });
  actFor.addEventListener("change", function () {
    choose(actFor.value);
  });
  var channel = new BroadcastChannel("gateway-graphiql-signin");
  channel.onmessage = function (event) {
    received(new URLSearchParams(String(event.data)));
  };
  render();

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function say(text) {
    message.textContent = text;
  }

  function label(person) {
    return person.name ? person.name + " (" + person.sub + ")" : person.sub;
  }

  function render() {
    who.textContent =
      own === null
        ? "Not signed in"
        : "Signed in as " + label(own) + (acting ? ", acting for " + acting.name : "");
    signInButton.hidden = own !== null;
    signOutButton.hidden = own === null;
    actForLabel.hidden = own === null || candidates.length === 0;
    actFor.replaceChildren(
      new Option("myself", ""),
      ...candidates.map(function (c) {
        return new Option(c.name + ", " + c.why, c.subject);
      })
    );
    actFor.value = acting ? acting.subject : "";
  }

  function random() {
    var bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  function base64url(bytes) {
    return btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  }

  function challenge(verifier) {
    return crypto.subtle
      .digest("SHA-256", new TextEncoder().encode(verifier))
      .then(function (digest) {
        return base64url(new Uint8Array(digest));
      });
  }

  function metadata() {
    if (discovery === null) {
      var url = config.issuer.replace(/\/+$/, "") + "/.well-known/openid-configuration";
      discovery = fetch(url, { credentials: "omit" })
        .then(function (response) {
          if (!response.ok) throw new Error("the issuer's discovery answered " + response.status);
          return response.json();
        })
        .then(function (meta) {
          if (meta.issuer !== config.issuer) throw new Error("discovery names another issuer");
          return meta;
        });
      // A failure is not kept: the issuer may be up by the next try.
      discovery.catch(function () {
        discovery = null;
      });
    }
    return discovery;
  }

  function tokenRequest(meta, form) {
    // A form body and no credentials: a simple cross-origin request, no preflight.
    return fetch(meta.token_endpoint, {
      method: "POST",
      body: new URLSearchParams(form),
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || !body.access_token) {
          throw new Error(body.error_description || body.error || "HTTP " + response.status);
        }
        return body;
      });
    });
  }

  function whenExpired(answer, then) {
    // A little early, so a token is never sent in the second it runs out. Without a lifetime
    // no timer: the gateway refuses the token when it ends.
    var seconds = Number(answer.expires_in);
    return seconds > 0 ? setTimeout(then, Math.max(1, seconds - 10) * 1000) : 0;
  }

  function signIn() {
    say("");
    if (!window.isSecureContext) {
      say("Signing in needs a secure page: https, or localhost.");
      return;
    }
    // Opened now, inside the click, so no pop-up blocker stops it; sent on its way below.
    var popup = window.open("about:blank", "gateway-graphiql-signin", "popup,width=520,height=720");
    if (popup === null) {
      say("The sign-in window was blocked: allow pop-ups for this page.");
      return;
    }
    popup.opener = null;
    if (pending !== null) pending.popup.close();
    var attempt = { state: random(), verifier: random(), nonce: random(), popup: popup };
    pending = attempt;
    Promise.all([metadata(), challenge(attempt.verifier)])
      .then(function (results) {
        if (pending !== attempt) return;
        var query = new URLSearchParams({
          response_type: "code",
          client_id: config.clientId,
          redirect_uri: redirectUri,
          scope: config.scope,
          state: attempt.state,
          nonce: attempt.nonce,
          code_challenge: results[1],
          code_challenge_method: "S256",
        });
        popup.location.href = results[0].authorization_endpoint + "?" + query;
      })
      .catch(function (error) {
        if (pending === attempt) pending = null;
        popup.close();
        say("Cannot sign in: " + error.message);
      });
  }

  function received(answer) {
    var attempt = pending;
    // Another tab's sign-in, or one given up on: not ours to use.
    if (attempt === null || answer.get("state") !== attempt.state) return;
    pending = null;
    attempt.popup.close();
    if (answer.has("error")) {
      say("Not signed in: " + (answer.get("error_description") || answer.get("error")));
      return;
    }
    metadata()
      .then(function (meta) {
        return tokenRequest(meta, {
          grant_type: "authorization_code",
          code: answer.get("code"),
          redirect_uri: redirectUri,
          client_id: config.clientId,
          code_verifier: attempt.verifier,
        });
      })
      .then(function (tokens) {
        var claims = idTokenClaims(tokens.id_token, attempt.nonce);
        own = { token: tokens.access_token, sub: claims.sub, name: claims.name };
        timers.own = whenExpired(tokens, function () {
          signOut();
          say("Your sign-in ran out: sign in again.");
        });
        render();
        findCandidates(own);
      })
      .catch(function (error) {
        say("Not signed in: " + error.message);
      });
  }

  function idTokenClaims(idToken, nonce) {
    // Straight from the token endpoint over the connection this page opened (OpenID Connect
    // Core 3.1.3.7), so its signature is not checked here; the nonce ties it to this sign-in.
    if (!idToken) throw new Error("the issuer sent no ID token");
    var part = idToken.split(".")[1] || "";
    var bytes = Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), function (c) {
      return c.charCodeAt(0);
    });
    var claims = JSON.parse(new TextDecoder().decode(bytes));
    var audience = [].concat(claims.aud);
    if (claims.iss !== config.issuer || audience.indexOf(config.clientId) < 0) {
      throw new Error("the ID token is not for this page");
    }
    if (claims.nonce !== nonce) throw new Error("the ID token is not from this sign-in");
    return claims;
  }

  function findCandidates(me) {
    metadata()
      .then(function (meta) {
        var types = meta.token_exchange_subject_token_types_supported || [];
        if ((meta.grant_types_supported || []).indexOf(EXCHANGE) < 0 || !types.length) return;
        return fetch(endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            authorization: "Bearer " + me.token,
          },
          body: JSON.stringify({ query: CANDIDATES }),
        })
          .then(function (response) {
            return response.json();
          })
          .then(function (body) {
            if (own !== me) return;
            var person = (body.data && body.data.me) || {};
            var found = [];
            (person.guardianOf || []).forEach(function (child) {
              var name = child.name ? child.name.given + " " + child.name.family : "";
              found.push({
                subject: child.personalId,
                name: name ? name + " (" + child.personalId + ")" : child.personalId,
                why: "in your care",
              });
            });
            (person.mandates || []).forEach(function (mandate) {
              if (mandate.status !== "ACTIVE" || mandate.delegateId !== me.sub) return;
              found.push({
                subject: mandate.principalId,
                name: mandate.principalId,
                why: "mandate for " + mandate.themes.join(", ").toLowerCase(),
              });
            });
            candidates = found;
            render();
          });
      })
      .catch(function (error) {
        say("Cannot list whom you may act for: " + error.message);
      });
  }

  function choose(subject) {
    var choice = ++choices;
    var me = own;
    clearTimeout(timers.acting);
    acting = null;
    say("");
    var candidate = candidates.filter(function (c) {
      return c.subject === subject;
    })[0];
    if (me === null || candidate === undefined) {
      render();
      return;
    }
    metadata()
      .then(function (meta) {
        return tokenRequest(meta, {
          grant_type: EXCHANGE,
          subject_token: subject,
          subject_token_type: meta.token_exchange_subject_token_types_supported[0],
          actor_token: me.token,
          actor_token_type: ACCESS_TOKEN,
          client_id: config.clientId,
        });
      })
      .then(function (tokens) {
        if (choice !== choices || own !== me) return;
        acting = { token: tokens.access_token, subject: subject, name: candidate.name };
        timers.acting = whenExpired(tokens, function () {
          acting = null;
          render();
          say("Acting for " + candidate.name + " ran out: you act for yourself again.");
        });
        render();
      })
      .catch(function (error) {
        if (choice !== choices) return;
        render();
        say("Cannot act for " + candidate.name + ": " + error.message);
      });
  }

  function signOut() {
    clearTimeout(timers.own);
    clearTimeout(timers.acting);
    own = null;
    acting = null;
    candidates = [];
    choices++;
    if (pending !== null) pending.popup.close();
    pending = null;
    render();
  }

  function fetchWithToken(url, init) {
    var current = acting || own;
    if (current === null) return fetch(url, init);
    var headers = new Headers((init && init.headers) || {});
    // A token typed into the headers editor wins: it is the one being tried.
    if (!headers.has("authorization")) headers.set("authorization", "Bearer " + current.token);
    return fetch(url, Object.assign({}, init, { headers: headers }));
  }

  return { bar: bar, fetch: fetchWithToken };
}
