// Glimpse embeds: include once on a page with Glimpse iframes (data-glimpse-embed) and each frame
// takes the height of the dashboard inside it. The dashboard posts its height; only messages from
// the frame's own window and origin are heeded.
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "glimpse:resize" || typeof data.height !== "number") return;
    var frames = document.querySelectorAll("iframe[data-glimpse-embed]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      if (new URL(frame.src, location.href).origin !== event.origin) return;
      frame.style.height = Math.max(100, Math.min(20000, Math.ceil(data.height))) + "px";
      return;
    }
  });
})();
