// Faults that must end in a clear, final error: RPC retries spent (with the URL's credentials
// never in the message) and a reorganisation deeper than the finality depth.
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Hex } from "viem";
import { DeepReorgError } from "../../indexer/context.ts";
import { createHttpRpcClient } from "../../indexer/rpc/createHttpRpcClient.ts";
import { RpcUnavailableError } from "../../indexer/rpc/errors.ts";
import { redactUrl } from "../../indexer/rpc/redactUrl.ts";
import { withRetry } from "../../indexer/rpc/withRetry.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { runUntilHead, testOptions } from "./support/harness.ts";

describe("indexer: faults that stop it clearly", function () {
  this.timeout(60_000);

  describe("RPC", () => {
    let server: Server;
    let port: number;
    let requests = 0;
    let authorization: string | undefined;
    before(async () => {
      // A node that always fails with 502, and counts how often it was asked.
      server = createServer((request, response) => {
        requests++;
        authorization = request.headers.authorization;
        response.writeHead(502).end("bad gateway");
      }).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it("strips user, password, path and query from URLs", () => {
      expect(redactUrl("https://alice:s3cret@rpc.example.com:8545/v2/APIKEY123?key=abc")).to.equal("https://rpc.example.com:8545/…");
      expect(redactUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
      expect(redactUrl("not a url")).to.equal("<unparseable RPC URL>");
    });

    it("retries a bounded number of times with backoff, then fails with a clear error that names no credential", async () => {
      requests = 0;
      const url = `http://alice:s3cret@127.0.0.1:${port}/v2/APIKEY123?key=abc`;
      const retries: number[] = [];
      const rpc = withRetry(createHttpRpcClient({ url, timeoutMs: 1000, responseBytesMax: 1024 * 1024 }), {
        retriesMax: 3,
        backoffMs: 5,
        backoffMsMax: 20,
        onRetry: ({ delayMs }) => retries.push(delayMs),
      });
      let error: unknown;
      try {
        await rpc.request({ method: "eth_blockNumber", params: [] });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(RpcUnavailableError);
      const message = (error as Error).message;
      expect(message).to.match(/failed 4 times in a row on eth_blockNumber/);
      expect(message).to.match(/INDEXER_RPC_RETRIES_MAX/);
      for (const secret of ["alice", "s3cret", "APIKEY123", "key=abc"]) expect(message).not.to.contain(secret);
      expect(requests).to.equal(4);
      // The credentials still reach the node, as HTTP Basic authorization.
      expect(authorization).to.equal(`Basic ${Buffer.from("alice:s3cret").toString("base64")}`);
      expect(retries).to.have.length(3);
      expect(retries.every((delay) => delay >= 1 && delay <= 20)).to.equal(true);
    });

    it("times out a node that never answers", async () => {
      const silent = createServer(() => {}).listen(0, "127.0.0.1");
      await new Promise((resolve) => silent.once("listening", resolve));
      const rpc = withRetry(
        createHttpRpcClient({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 100, responseBytesMax: 1024 }),
        { retriesMax: 1, backoffMs: 1, backoffMsMax: 1 },
      );
      const started = Date.now();
      const error = await rpc.request({ method: "eth_chainId", params: [] }).catch((caught: unknown) => caught);
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      expect(error).to.be.instanceOf(RpcUnavailableError);
      expect((error as Error).message).to.match(/timed out after 100 ms/);
      expect(Date.now() - started).to.be.lessThan(2000);
    });
  });

  describe("a reorganisation deeper than the finality depth", () => {
    let chain: TestChain;
    let database: TestDatabase;
    let emitters: EmitterSet;
    before(async () => {
      [chain, database] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 2 })]);
      emitters = await deployEmitters(chain.rpcUrl);
    });
    after(async () => {
      await database?.drop();
      await chain?.stop();
    });

    it("stops the indexer with DeepReorgError instead of rolling final rows back", async () => {
      const chainId = await emitters.publicClient.getChainId();
      const rpc = (method: string, params: unknown[] = []) => emitters.publicClient.request({ method, params } as never) as Promise<unknown>;
      const options = testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth: 2 });
      const snapshot = (await rpc("evm_snapshot")) as Hex;
      for (let index = 0; index < 6; index++) await emitters.send(emitters.entitlement, "lock", [BigInt(index)]);
      await runUntilHead({ database, chainId, rpcUrl: chain.rpcUrl, emitters, options });
      await rpc("evm_revert", [snapshot]);
      for (let index = 0; index < 8; index++) await emitters.send(emitters.entitlement, "lock", [BigInt(100 + index)]);
      const error = await runUntilHead({ database, chainId, rpcUrl: chain.rpcUrl, emitters, options }).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(DeepReorgError);
      expect((error as Error).message).to.match(/reorganised below block \d+.*INDEXER_FINALITY_DEPTH/);
    });
  });
});
