// Pays an order on-chain from the browser wallet (EIP-1193): the native coin through
// PaymentRouter.payNative, or an ERC-20 through approve + PaymentRouter.payToken, tagged with the
// order's reference so the platform matches the OrderPaid event to the order. Lazy chunk (viem).
import { parseAbi, type Hex } from "viem";
import { browserWalletClients } from "./browserWalletClients.ts";

const routerAbi = parseAbi(["function payNative(bytes32 orderRef) payable", "function payToken(bytes32 orderRef, address token, uint256 amount)"]);
const erc20Abi = parseAbi(["function approve(address spender, uint256 amount) returns (bool)"]);

export type ChainPayment = { paymentAddress: string | null; orderRef: string; asset: string | null; amountMinor: string };

/** Returns the payment transaction's hash once it is mined. */
export async function payWithWallet(payment: ChainPayment): Promise<Hex> {
  if (!payment.paymentAddress || !payment.asset) throw new Error("This platform has no on-chain payment contract configured.");
  const { wallet, reader, account, chain } = await browserWalletClients();
  const router = payment.paymentAddress as Hex;
  const amount = BigInt(payment.amountMinor);
  let hash: Hex;
  if (payment.asset === "native") {
    hash = await wallet.writeContract({
      account,
      chain,
      address: router,
      abi: routerAbi,
      functionName: "payNative",
      args: [payment.orderRef as Hex],
      value: amount,
    });
  } else {
    const approval = await wallet.writeContract({
      account,
      chain,
      address: payment.asset as Hex,
      abi: erc20Abi,
      functionName: "approve",
      args: [router, amount],
    });
    await reader.waitForTransactionReceipt({ hash: approval });
    hash = await wallet.writeContract({
      account,
      chain,
      address: router,
      abi: routerAbi,
      functionName: "payToken",
      args: [payment.orderRef as Hex, payment.asset as Hex, amount],
    });
  }
  await reader.waitForTransactionReceipt({ hash });
  return hash;
}
