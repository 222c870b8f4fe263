// compose.yaml's trial chain: one JSON-RPC call, exit status 0 when the node answers it without
// an error. The runtime image has no curl; Node's fetch does it.
//   node scripts/compose/rpcCall.ts <rpc url> <method> [numeric parameter]
const [url, method, parameter] = process.argv.slice(2);
if (!url || !method) {
  console.error("usage: rpcCall.ts <rpc url> <method> [numeric parameter]");
  process.exit(2);
}
try {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: parameter === undefined ? [] : [Number(parameter)] }),
    signal: AbortSignal.timeout(3_000),
  });
  const body = (await response.json()) as { error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  process.exit(0);
} catch (error) {
  console.error(`${method}: ${(error as Error).message}`);
  process.exit(1);
}
