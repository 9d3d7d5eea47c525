/*
 * Glimpse tracker. Add to a page:
 *   <script defer data-domain="example.com" src="https://glimpse.example.com/js/script.js"></script>
 * No cookies, no storage of identifiers. Sends a pageview on load and on every client-side
 * navigation; window.glimpse("Signup", { props: { plan: "pro" } }) sends a custom event, and so
 * does window.plausible(…), so pages written for Plausible's script work unchanged.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var endpoint = new URL("/api/event", script.src).href;
  var domain = script.getAttribute("data-domain") || location.hostname.replace(/^www\./, "");
  var lastPath = null;

  function optedOut() {
    var dnt = navigator.doNotTrack || window.doNotTrack || navigator.msDoNotTrack;
    if (dnt === "1" || dnt === "yes") return true;
    try {
      // Site owners exclude their own visits by setting this in the browser console.
      return window.localStorage.getItem("glimpse_ignore") === "true";
    } catch (e) {
      return false;
    }
  }

  function send(name, options) {
    if (optedOut() || /^file:/.test(location.protocol)) return;
    var payload = { name: name, url: location.href, domain: domain, referrer: document.referrer || null };
    if (options && options.props) payload.props = options.props;
    var body = JSON.stringify(payload);
    // text/plain keeps the request "simple": no CORS preflight from the tracked site.
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) return;
    if (window.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "omit", headers: { "Content-Type": "text/plain" } })["catch"](function () {});
    }
  }

  function pageview() {
    if (location.pathname === lastPath) return;
    lastPath = location.pathname;
    send("pageview");
  }

  // Calls made before this script loaded wait in a queue on the stub function (.q).
  var queued = [].concat((window.glimpse && window.glimpse.q) || [], (window.plausible && window.plausible.q) || []);
  window.glimpse = function (name, options) {
    send(name, options);
  };
  // Pages written for Plausible define a plausible() stub; it becomes ours (one tracker per page).
  window.plausible = window.glimpse;
  for (var i = 0; i < queued.length; i++) window.glimpse.apply(null, queued[i]);

  var push = history.pushState;
  if (push) {
    history.pushState = function () {
      push.apply(this, arguments);
      pageview();
    };
    window.addEventListener("popstate", pageview);
  }

  // A prerendered page may never be shown; count it when it is.
  if (document.visibilityState === "prerender") {
    document.addEventListener("visibilitychange", function onShow() {
      if (document.visibilityState !== "visible") return;
      document.removeEventListener("visibilitychange", onShow);
      pageview();
    });
  } else {
    pageview();
  }
})();
