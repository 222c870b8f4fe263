// The first API answers the server embedded in index.html for a public storefront page
// (api/http/storefrontFirstData.ts), keyed by request ("/api/shops?limit=20"). A page renders
// them at once instead of fetching after its scripts ran; each is handed out once, so a later
// visit of the same page in this tab (client-side navigation) fetches fresh data.

/** api/http/webShell.ts writes the element with this id. */
const elementId = "kl-first-data";

let embedded: Map<string, unknown> | undefined;

function readEmbedded(): Map<string, unknown> {
  if (embedded) return embedded;
  const element = document.getElementById(elementId);
  embedded = new Map();
  if (element?.textContent) {
    try {
      embedded = new Map(Object.entries(JSON.parse(element.textContent) as Record<string, unknown>));
    } catch {
      // A broken embedding only costs the request it would have saved.
    }
  }
  return embedded;
}

/** The embedded answer to `request`, once; undefined when there is none (the page fetches). */
export function takeFirstData<T>(request: string): T | undefined {
  const answers = readEmbedded();
  const answer = answers.get(request) as T | undefined;
  answers.delete(request);
  return answer;
}
