// A test-only contract that emits the platform's events with their exact signatures, compiled
// with solc-js at test time. It drives the indexer (the thing under test) on a real Hardhat
// node without depending on the platform contracts' business rules: the simulation can emit
// any sequence it likes, including ones the real contracts would refuse.
import { createRequire } from "node:module";
import { createPublicClient, createWalletClient, http, type Abi, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const require = createRequire(import.meta.url);

const source = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract PlatformEventEmitter {
  event BatchAnchored(uint64 indexed batchId, uint64 indexed shopId, bytes32 root, uint32 keyCount, address issuer);
  event EntitlementsIssued(uint64 indexed batchId, uint256 firstTokenId, uint256 count, bytes leafIndexes);
  event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
  event Locked(uint256 tokenId);
  event EntitlementsRevoked(uint256[] tokenIds, bytes32 reasonHash);
  event CustodialTransferRecorded(uint256 indexed tokenId, bytes32 fromHolder, bytes32 toHolder);
  event OrderPaid(bytes32 indexed orderRef, address indexed payer, address token, uint256 amount);
  event LedgerAnchored(uint64 indexed size, bytes32 root, uint256 index);
  function anchor(uint64 batchId, uint64 shopId, bytes32 root, uint32 keyCount) external {
    emit BatchAnchored(batchId, shopId, root, keyCount, msg.sender);
  }
  function issue(uint64 batchId, uint256 firstTokenId, address to, uint32[] calldata leaves) external {
    bytes memory packed;
    for (uint256 i = 0; i < leaves.length; i++) {
      packed = abi.encodePacked(packed, leaves[i]);
      emit Transfer(address(0), to, firstTokenId + i);
    }
    emit EntitlementsIssued(batchId, firstTokenId, leaves.length, packed);
  }
  function transfer(address from, address to, uint256 tokenId) external { emit Transfer(from, to, tokenId); }
  function lock(uint256 tokenId) external { emit Locked(tokenId); }
  function revoke(uint256[] calldata tokenIds) external { emit EntitlementsRevoked(tokenIds, keccak256(abi.encode(tokenIds))); }
  function custodial(uint256 tokenId, bytes32 fromHolder, bytes32 toHolder) external { emit CustodialTransferRecorded(tokenId, fromHolder, toHolder); }
  function pay(bytes32 orderRef, address token, uint256 amount) external { emit OrderPaid(orderRef, msg.sender, token, amount); }
  function ledger(uint64 size, bytes32 root, uint256 index) external { emit LedgerAnchored(size, root, index); }
  function transfers(uint256 firstTokenId, uint256 count, address to) external {
    for (uint256 i = 0; i < count; i++) emit Transfer(address(0), to, firstTokenId + i);
  }
}`;

type Compiled = { abi: Abi; bytecode: Hex };
let compiled: Compiled | undefined;

export function compileEmitter(): Compiled {
  if (compiled) return compiled;
  const solc = require("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: { "PlatformEventEmitter.sol": { content: source } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((error: { severity: string }) => error.severity === "error");
  if (errors.length > 0) throw new Error(`emitter compile failed: ${JSON.stringify(errors)}`);
  const contract = output.contracts["PlatformEventEmitter.sol"].PlatformEventEmitter;
  compiled = { abi: contract.abi as Abi, bytecode: `0x${contract.evm.bytecode.object}` as Hex };
  return compiled;
}

// Hardhat's first default account (a well-known test key, holds test ether only).
export const hardhatKey: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export type EmitterSet = {
  abi: Abi;
  registry: Address;
  entitlement: Address;
  payment: Address;
  ledgerAnchor: Address;
  account: Address;
  wallet: WalletClient;
  publicClient: PublicClient;
  deploymentBlock: bigint;
  /** Sends one call and waits for its block (automine: one transaction per block). */
  send(address: Address, functionName: string, args: unknown[]): Promise<Hex>;
};

export async function deployEmitters(rpcUrl: string): Promise<EmitterSet> {
  const { abi, bytecode } = compileEmitter();
  const account = privateKeyToAccount(hardhatKey);
  const wallet = createWalletClient({ account, transport: http(rpcUrl) });
  const publicClient = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
  const chain = {
    id: await publicClient.getChainId(),
    name: "hardhat",
    nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  };
  const deploymentBlock = (await publicClient.getBlockNumber()) + 1n;
  const addresses: Address[] = [];
  for (let index = 0; index < 4; index++) {
    const hash = await wallet.deployContract({ abi, bytecode, chain, account });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    addresses.push(receipt.contractAddress!);
  }
  return {
    abi,
    registry: addresses[0]!,
    entitlement: addresses[1]!,
    payment: addresses[2]!,
    ledgerAnchor: addresses[3]!,
    account: account.address,
    wallet,
    publicClient,
    deploymentBlock,
    async send(address, functionName, args) {
      const hash = await wallet.writeContract({ address, abi, functionName, args, chain, account } as never);
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
      return hash;
    },
  };
}
