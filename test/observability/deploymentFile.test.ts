// DEPLOYMENT_FILE (core/config.ts): the chain settings of the file `keyledger deploy` writes fill
// the variables left unset, a variable set in the environment wins, and a file that is not a
// version 1 deployment stops the process at start naming the file.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "../../core/config.ts";

describe("DEPLOYMENT_FILE", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyledger-deployment-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "deployment.json");
  const deployment = {
    version: 1,
    chainId: 8453,
    deploymentBlock: "12345678",
    contracts: {
      registry: "0x1111111111111111111111111111111111111111",
      entitlement: "0x2222222222222222222222222222222222222222",
      payment: "0x3333333333333333333333333333333333333333",
      stablecoin: "0x4444444444444444444444444444444444444444",
      ledgerAnchor: "0x5555555555555555555555555555555555555555",
    },
    custodian: "0x6666666666666666666666666666666666666666",
  };

  it("fills the chain settings left unset, and the environment wins", () => {
    writeFileSync(file, JSON.stringify(deployment));
    const config = loadConfig({ DEPLOYMENT_FILE: file, ENTITLEMENT_ADDRESS: "0x7777777777777777777777777777777777777777" });
    expect(config.chain).to.include({
      registryAddress: "0x1111111111111111111111111111111111111111",
      entitlementAddress: "0x7777777777777777777777777777777777777777",
      paymentAddress: "0x3333333333333333333333333333333333333333",
      stablecoinAddress: "0x4444444444444444444444444444444444444444",
      ledgerAnchorAddress: "0x5555555555555555555555555555555555555555",
      custodianAddress: "0x6666666666666666666666666666666666666666",
    });
    expect(config.chain.deploymentBlock).to.equal(12_345_678n);
    expect(config.indexer.chainId).to.equal(8453);
  });

  it("refuses a file that is not a version 1 deployment, naming it", () => {
    writeFileSync(file, JSON.stringify({ ...deployment, version: 2 }));
    expect(() => loadConfig({ DEPLOYMENT_FILE: file })).to.throw(ConfigError, file);
    expect(() => loadConfig({ DEPLOYMENT_FILE: path.join(dir, "missing.json") })).to.throw(ConfigError, "missing.json");
  });
});
