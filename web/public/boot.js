// Starts the web app once the browser has painted the page the server wrote (api/http/firstPaint.ts).
// api/http/webShell.ts writes it at the end of every page (allowed by its hash in the CSP), with
// the app's entry and the modules the path needs in its data attributes. Fetched with the HTML, the app's modules finished loading
// before the first frame on a fast network, and their evaluation then ran ahead of the paint:
// the largest contentful paint waited for JavaScript although its text was in the HTML. Here the
// modules are asked for only after a frame has been produced (or after startAfterMs, should no
// frame come, as in a background tab), together (a few per task), so nothing is fetched one after another.
(() => {
  const startAfterMs = 250;
  const script = document.currentScript;
  if (!script) return;
  const entry = script.dataset.entry;
  const preload = (script.dataset.preload ?? "").split(" ").filter(Boolean);
  // Each added modulepreload costs the main thread 1-2 ms (the request is made at once): the
  // page's 15-odd in one task were one long task of about 150 ms on Lighthouse's 4x-slowed CPU,
  // blocking time after the first paint. They are added a few per task (the entry script first,
  // whose own imports are among them), so no task is long; the requests still leave together.
  const perTask = 4;
  let started = false;
  const addPreloads = (from) => {
    for (const href of preload.slice(from, from + perTask)) {
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.crossOrigin = "";
      link.href = href;
      document.head.append(link);
    }
    if (from + perTask < preload.length) setTimeout(() => addPreloads(from + perTask), 0);
  };
  const start = () => {
    if (started || !entry) return;
    started = true;
    const app = document.createElement("script");
    app.type = "module";
    app.crossOrigin = "";
    app.src = entry;
    document.head.append(app);
    addPreloads(0);
  };
  // The callback runs before the next frame's paint; the timeout after it, once it is painted.
  requestAnimationFrame(() => setTimeout(start, 0));
  setTimeout(start, startAfterMs);
})();
