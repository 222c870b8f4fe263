// The local chain `npm start` runs mines a block a second and one per transaction. Its block
// timestamps must follow the wall clock: when each block had to be a second after the last,
// every burst of transactions pushed the chain's clock ahead for good (23 s after five minutes
// of the demo), and timelines mixing chain and database times showed events out of order.
import { expect } from "chai";
import { createPublicClient, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { localChainAccounts, startLocalChain, type LocalChain } from "../../scripts/lib/localChain.ts";

describe("local chain clock", function () {
  this.timeout(120_000);
  let chain: LocalChain;

  before(async () => {
    chain = await startLocalChain({ intervalMiningMs: 1000 });
  });
  after(async () => {
    await chain?.stop();
  });

  it("keeps block timestamps at the wall clock through a burst of transactions", async () => {
    const transport = http(chain.rpcUrl);
    const publicClient = createPublicClient({ transport });
    const account = privateKeyToAccount(localChainAccounts.wallet3);
    const wallet = createWalletClient({ account, transport });
    const burst = 30;
    const startBlock = await publicClient.getBlockNumber();
    for (let index = 0; index < burst; index++) {
      const hash = await wallet.sendTransaction({ chain: null, to: account.address, value: 0n });
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    }
    const latest = await publicClient.getBlock();
    expect(latest.number - startBlock >= BigInt(burst), "a block per transaction").to.equal(true);
    const wallClockSeconds = Math.floor(Date.now() / 1000);
    // One second of slack for the block being mined as the clock turns.
    expect(Number(latest.timestamp)).to.be.at.most(wallClockSeconds + 1);
  });
});
