// The response schemas the OpenAPI document names (components/schemas), so generated clients
// get readable types (`components["schemas"]["Order"]`) for the shapes several routes share.
// A route's answer that is not here is named after its operation, so a schema that several
// routes answer with must be here (or it would carry the first route's name).
import { certificateSchema } from "../../../core/keys/certificateSchema.ts";
import { webhookEndpointWithSecretSchema } from "./webhooks.ts";
import { accountSchema, sessionSchema } from "./accounts.ts";
import { passkeySchema, recoveryCodesSchema, signInSchema } from "./accountSecurity.ts";
import { errorBodySchema } from "./common.ts";
import { erasureSchema } from "./compliance.ts";
import { afterSalesWindowsSchema, disputeSchema } from "./disputes.ts";
import { carriedProductSchema } from "./distribution.ts";
import { dockingOfferSchema, dockingRestockSchema } from "./docking.ts";
import { payoutDecidedSchema, payoutRequestedSchema, statementPageSchema, topupSchema } from "./ledger.ts";
import { batchSchema, importJobSchema, salesSummarySchema } from "./merchant.ts";
import { orderItemSchema, orderSchema, orderSummaryPageSchema, orderSummarySchema, paymentSchema } from "./orders.ts";
import { levelsSchema } from "./pricing.ts";
import { merchantQuotasSchema } from "./quotas.ts";
import { rentalSchema } from "./rentals.ts";
import { balanceTopupSchema, subscriptionPlanSchema, subscriptionSchema, walletMandateSchema } from "./subscriptions.ts";
import { resalePurchaseSchema } from "./resale.ts";
import { ratingSchema, reportedReviewPageSchema, reviewSchema } from "./reviews.ts";
import { searchResultSchema } from "./search.ts";
import { recommendationListSchema } from "./recommendations.ts";
import { blacklistEntrySchema, blacklistSchema } from "./risk.ts";
import { acceptedCurrenciesSchema, fxRateSchema } from "./currencies.ts";
import { kycListSchema, kycSubmissionSchema, planSchema, shopProfileSchema } from "./saas.ts";
import { productSchema, shopSchema } from "./shops.ts";
import { publicConfigSchema, verifyResultSchema } from "./verify.ts";
import { groupCheckoutSchema, groupSchema } from "./groupbuy.ts";
import { postedTicketMessageSchema, ticketDetailSchema, ticketMessageSchema, ticketPageSchema, ticketSchema } from "./tickets.ts";

export const namedSchemas = {
  Error: errorBodySchema,
  Erasure: erasureSchema,
  Plan: planSchema,
  KycSubmissionPage: kycListSchema,
  KycSubmission: kycSubmissionSchema,
  ShopProfile: shopProfileSchema,
  AcceptedCurrencies: acceptedCurrenciesSchema,
  FxRate: fxRateSchema,
  Dispute: disputeSchema,
  AfterSalesWindows: afterSalesWindowsSchema,
  Account: accountSchema,
  Session: sessionSchema,
  SignIn: signInSchema,
  RecoveryCodes: recoveryCodesSchema,
  Passkey: passkeySchema,
  Shop: shopSchema,
  Product: productSchema,
  Order: orderSchema,
  OrderItem: orderItemSchema,
  Payment: paymentSchema,
  OrderSummary: orderSummarySchema,
  DockingOffer: dockingOfferSchema,
  OrderSummaryPage: orderSummaryPageSchema,
  StatementPage: statementPageSchema,
  PayoutRequest: payoutRequestedSchema,
  CarriedProduct: carriedProductSchema,
  PayoutDecision: payoutDecidedSchema,
  Topup: topupSchema,
  ResalePurchase: resalePurchaseSchema,
  Rental: rentalSchema,
  Batch: batchSchema,
  ImportJob: importJobSchema,
  SalesSummary: salesSummarySchema,
  Certificate: certificateSchema,
  MemberLevels: levelsSchema,
  VerifyResult: verifyResultSchema,
  PublicConfig: publicConfigSchema,
  MerchantQuotas: merchantQuotasSchema,
  BlacklistEntry: blacklistEntrySchema,
  Blacklist: blacklistSchema,
  Review: reviewSchema,
  Rating: ratingSchema,
  SearchResult: searchResultSchema,
  ReportedReviewPage: reportedReviewPageSchema,
  Ticket: ticketSchema,
  TicketPage: ticketPageSchema,
  TicketDetail: ticketDetailSchema,
  TicketMessage: ticketMessageSchema,
  PostedTicketMessage: postedTicketMessageSchema,
  RecommendationList: recommendationListSchema,
  SubscriptionPlan: subscriptionPlanSchema,
  Subscription: subscriptionSchema,
  WalletMandate: walletMandateSchema,
  BalanceTopup: balanceTopupSchema,
  WebhookEndpointWithSecret: webhookEndpointWithSecretSchema,
  Group: groupSchema,
  GroupCheckout: groupCheckoutSchema,
  DockingRestock: dockingRestockSchema,
};
