// compose.yaml's health checks: GET a health URL, exit status 0 on a 2xx answer within 3 s.
// The runtime image has no curl; Node's fetch does it.
const url = process.argv[2];
if (!url) {
  console.error("usage: probe.ts <url>");
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
