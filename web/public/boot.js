// Starts the web app once the browser has painted the page the server wrote (api/http/firstPaint.ts).
// api/http/webShell.ts writes it at the end of every page (allowed by its hash in the CSP), with
// the app's entry and the modules the path needs in its data attributes. Fetched with the HTML, the app's modules finished loading
// before the first frame on a fast network, and their evaluation then ran ahead of the paint:
// the largest contentful paint waited for JavaScript although its text was in the HTML. Here the
// modules are asked for only after a frame has been produced (or after startAfterMs, should no
// frame come, as in a background tab), all at once, so nothing is fetched one after another.
(() => {
  const startAfterMs = 250;
  const script = document.currentScript;
  if (!script) return;
  const entry = script.dataset.entry;
  const preload = (script.dataset.preload ?? "").split(" ").filter(Boolean);
  let started = false;
  const start = () => {
    if (started || !entry) return;
    started = true;
    for (const href of preload) {
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.crossOrigin = "";
      link.href = href;
      document.head.append(link);
    }
    const app = document.createElement("script");
    app.type = "module";
    app.crossOrigin = "";
    app.src = entry;
    document.head.append(app);
  };
  // The callback runs before the next frame's paint; the timeout after it, once it is painted.
  requestAnimationFrame(() => setTimeout(start, 0));
  setTimeout(start, startAfterMs);
})();
