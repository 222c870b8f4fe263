// The one configuration module: it reads the environment once, validates it, and returns a
// typed object that entry points pass down. No other module reads process.env.
// Every limit is a named setting with a default and a reason. Secrets have no fallback:
// a missing secret stops the process at start with a message naming the variable.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";

const hex32 = /^(0x)?[0-9a-fA-F]{64}$/;
const address = /^0x[0-9a-fA-F]{40}$/;

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const integer = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),

  // HTTP
  HOST: z.string().default("127.0.0.1"),
  PORT: integer(8080, 0, 65_535),
  // The public base URL of the platform (scheme, host, port, no path): every link (payment
  // return and notification URLs, delivery mails, the OpenAPI server) and the Sign-In With
  // Ethereum domain come from it, never from a request's Host header, which the client
  // chooses. Required in production; development and tests default to the listener.
  PUBLIC_URL: optionalString.refine(
    (value) => value === undefined || /^https?:\/\/[^/?#\s]+\/?$/.test(value),
    "must be an http(s) origin such as https://shop.example (no path, query or fragment)",
  ),
  // Bodies beyond this are refused with 413 before parsing; a 100,000-key import of
  // 64-character keys is about 6.5 MB, so imports get their own, larger limit.
  HTTP_BODY_LIMIT_BYTES: integer(256 * 1024, 1024, 64 * 1024 * 1024),
  HTTP_IMPORT_BODY_LIMIT_BYTES: integer(16 * 1024 * 1024, 1024, 256 * 1024 * 1024),

  // Store
  DATABASE_URL: optionalString,
  DATA_DIR: z.string().default(".data"),
  DATABASE_POOL_SIZE_MAX: integer(10, 1, 200),
  // A streaming-replication hot standby of DATABASE_URL (docs/deployment.md, "Read replica").
  // Unset: every read goes to DATABASE_URL. Set: the API's read-only public and auditor routes
  // read it, each only once it has replayed everything the primary had committed when the
  // request arrived (so nobody, the caller included, reads an older value than before).
  DATABASE_REPLICA_URL: optionalString,
  // How long such a read waits for the replica to catch up before it reads the primary instead:
  // the most a lagging replica adds to a request. 0: never wait (the primary when it lags at all).
  DATABASE_REPLICA_WAIT_MS: integer(100, 0, 10_000),

  // Jobs
  REDIS_URL: optionalString,
  // Redis behind Sentinel (docs/deployment.md, "Redis Sentinel"): the sentinels' addresses
  // (host:port, comma-separated) and the name of the primary they watch. Set: every connection
  // asks a sentinel where the primary is and asks again after a failover; REDIS_URL is then
  // ignored. "mymaster" is Sentinel's own example name.
  REDIS_SENTINELS: optionalString.refine(
    (value) => value === undefined || value.split(",").every((entry) => /^[^\s:,]+:\d{1,5}$/.test(entry.trim())),
    "must be host:port pairs separated by commas",
  ),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default("mymaster"),
  QUEUE_PREFIX: z.string().default("keyledger"),
  // How long a worker holds a job before others may take it over as stalled (a crashed
  // worker's jobs are retried after this). BullMQ's default is 30 s.
  JOB_LOCK_DURATION_MS: integer(30_000, 1_000, 600_000),
  // How long a request waits for Redis to take a job or a message (a paid order's fulfilment,
  // an upload's import, an order page's wake-up). Work whose state is already committed in
  // PostgreSQL never depends on it: the recovery sweep finds it, so a queue that is down or slow
  // costs a late delivery, never a hanging or failed answer.
  JOB_ENQUEUE_TIMEOUT_MS: integer(1_000, 10, 60_000),
  // How long a request waits for Redis to count an attempt (the guessing throttles of login,
  // guest look-up, second factor and verify; the captcha's single-use store). Past it, or at once
  // while Redis is known to be down, the request is refused with 503 `throttle_unavailable`:
  // guesses are never let through uncounted, and no request hangs on a Redis that is gone.
  // 2 s, not the hand-over's 1 s: a burst of hundreds of attempts on a loaded machine can take
  // over a second of event loop to count, and those must get their 429, not a 503.
  THROTTLE_REDIS_TIMEOUT_MS: integer(2_000, 10, 60_000),
  // How often each worker process checks that every job scheduler (sweeps, expiry, anchoring)
  // exists, declaring a missing one again and raising an alert. A Redis that lost its data
  // without the workers reconnecting (a flush, a failover to an empty replica) costs at most
  // this long without sweeps.
  JOB_SCHEDULER_CHECK_INTERVAL_MS: integer(30_000, 100, 3_600_000),

  // Processes
  // On SIGTERM or SIGINT a process stops taking work and finishes what it has; what is still
  // running after this long is cut off (connections destroyed, jobs left to be retried) and the
  // process exits. Below the usual 30 s a service manager or Kubernetes waits before SIGKILL.
  SHUTDOWN_DEADLINE_MS: integer(10_000, 100, 600_000),

  // Observability (docs/operations.md). The workers and the indexer serve /healthz, /readyz and
  // /metrics on this port (0: no port; the API serves them on its own). Each process has its own
  // port: two processes on one machine need two values.
  HEALTH_PORT: integer(0, 0, 65_535),
  HEALTH_HOST: z.string().default("127.0.0.1"),
  // The bearer token that reads /metrics (a secret; unset: only an admin's session reads the
  // API's, and the health port's /metrics is refused).
  METRICS_TOKEN: optionalString,
  // Readiness thresholds: a process is not ready when the oldest job waiting in a queue is older
  // than this (workers are not keeping up, or none runs) ...
  READY_QUEUE_AGE_SECONDS_MAX: integer(120, 1, 24 * 3600),
  // ... or the indexer is further than this many blocks behind the head beyond its finality
  // depth (about 4 minutes of a 2-second L2; its records and the payments it accepts are late).
  READY_INDEXER_LAG_BLOCKS_MAX: integer(120, 1, 1_000_000),
  // Each readiness check gets this long; one that hangs counts as failed (a probe times out too).
  READY_CHECK_TIMEOUT_MS: integer(2_000, 50, 60_000),

  // Chain
  // The file `keyledger deploy` writes (contract addresses, deployment block, chain id): every
  // process reads the chain settings it holds unless the variables below are set themselves.
  DEPLOYMENT_FILE: optionalString,
  CHAIN_RPC_URL: optionalString,
  // The RPC URL browsers may use to verify against the chain themselves (GET /api/config/public).
  // Never derived from CHAIN_RPC_URL, which may carry credentials.
  PUBLIC_RPC_URL: optionalString,
  REGISTRY_ADDRESS: z.string().regex(address).optional(),
  ENTITLEMENT_ADDRESS: z.string().regex(address).optional(),
  PAYMENT_ADDRESS: z.string().regex(address).optional(),
  STABLECOIN_ADDRESS: z.string().regex(address).optional(),
  // The currency code of the stablecoin: products priced in it can be paid on-chain with the
  // token (its base units are the minor units); "ETH" products are paid in wei.
  STABLECOIN_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3,8}$/)
    .default("USDK"),
  LEDGER_ANCHOR_ADDRESS: z.string().regex(address).optional(),
  // The contracts' deployment block: the indexer's backfill starts here.
  DEPLOYMENT_BLOCK: integer(0, 0, Number.MAX_SAFE_INTEGER),
  CHAIN_OPERATOR_KEY: z.string().regex(hex32).optional(),
  // The address that holds custodial entitlements; defaults to the operator's address.
  CUSTODIAN_ADDRESS: z.string().regex(address).optional(),
  // How many entitlements one issuance transaction carries at most (gas: see bench:gas).
  ISSUE_BATCH_SIZE_MAX: integer(100, 1, 500),
  // How long the issuer waits to fill a batch before sending what it has.
  ISSUE_BATCH_WAIT_MS: integer(1_000, 0, 60_000),

  // Indexer (indexer/): every limit of the chain sync, with the reason for its default.
  // eth_getLogs block ranges adapt between these bounds: grown after a success, halved after a
  // "too many results" or oversized response. 25 blocks at the start is safe for busy chains.
  INDEXER_RANGE_BLOCKS_INITIAL: integer(25, 1, 100_000),
  INDEXER_RANGE_BLOCKS_MIN: integer(1, 1, 100_000),
  INDEXER_RANGE_BLOCKS_MAX: integer(2_000, 1, 1_000_000),
  // getLogs requests in flight during backfill; results are committed in block order.
  INDEXER_CONCURRENCY: integer(4, 1, 64),
  // A response bigger than this is treated like "too many results" and its range is split
  // (viem refuses responses over 10 MiB; most providers cap near there too).
  INDEXER_RESPONSE_BYTES_MAX: integer(10 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
  // A range whose logs exceed this is split before the next request (provider limits are 10k).
  INDEXER_LOGS_PER_RANGE_TARGET: integer(5_000, 10, 100_000),
  // Bounded retries for RPC errors and timeouts, with exponential backoff from the base.
  INDEXER_RPC_RETRIES_MAX: integer(6, 0, 50),
  INDEXER_RPC_BACKOFF_MS: integer(100, 1, 60_000),
  INDEXER_RPC_BACKOFF_MS_MAX: integer(5_000, 1, 600_000),
  INDEXER_RPC_TIMEOUT_MS: integer(10_000, 100, 600_000),
  // Live mode: how often the head is polled, and how many new blocks one poll takes at most.
  INDEXER_POLL_INTERVAL_MS: integer(1_000, 10, 600_000),
  INDEXER_BLOCKS_PER_POLL_MAX: integer(100, 1, 10_000),
  // Blocks this deep below the head are final (rows drive platform state; deeper reorgs stop
  // the indexer). Ponder's default for unknown chains is 30; a local chain needs far fewer.
  INDEXER_FINALITY_DEPTH: integer(12, 0, 10_000),
  // Use the RPC's `finalized` block tag instead of the depth where the node supports it.
  INDEXER_USE_FINALIZED_TAG: z.enum(["true", "false"]).default("false"),
  // A standby polls the writer lock this often and takes over when the active indexer dies.
  INDEXER_STANDBY_POLL_MS: integer(1_000, 10, 600_000),
  // Chain id guard: the indexer refuses to run against an RPC of another chain when set.
  INDEXER_CHAIN_ID: z.coerce.number().int().min(1).optional(),
  // The indexer process reconciles the database with final chain facts this often (0: never).
  INDEXER_RECONCILE_INTERVAL_MS: integer(5 * 60_000, 0, 24 * 3600_000),
  // Bounded pages for the chain and auditor routes.
  CHAIN_PAGE_SIZE_MAX: integer(200, 1, 10_000),

  // Secrets
  MASTER_KEY: optionalString,
  MASTER_KEY_ID: z.string().default("k1"),
  // Previous master keys, `id:hex,id:hex`, kept readable during a rotation.
  PREVIOUS_MASTER_KEYS: optionalString,
  QUERY_PASSWORD_PEPPER: optionalString,
  // Enables the EPay-compatible sandbox gateway at /sandbox/epay (demo and tests): merchant
  // keys it issues are HMAC(secret, pid). Unset in production: the sandbox is then off.
  EPAY_SANDBOX_SECRET: optionalString,

  // Orders
  ORDER_EXPIRY_SECONDS: integer(15 * 60, 30, 7 * 24 * 3600),
  ORDER_QUANTITY_MAX: integer(100, 1, 10_000),
  // Unpaid reservations (docs/abuse.md, "Unpaid reservations"): an unpaid order holds keys until
  // it expires, so holds are limited. Open unpaid orders per contact (a guest's email or an
  // account: a real buyer rarely has more than one or two checkouts open) and per client address
  // (higher: a household, an office or a carrier NAT shares one) ...
  ORDER_UNPAID_PER_CONTACT_MAX: integer(3, 1, 10_000),
  ORDER_UNPAID_PER_CLIENT_MAX: integer(10, 1, 100_000),
  // ... the share of a product's available keys one unpaid order may hold (basis points; at
  // least one key), so that no single unpaid checkout empties a product ...
  ORDER_HOLD_SHARE_BPS: integer(2_000, 1, 10_000),
  // ... and under pressure, when the product's unpaid holds would exceed this share of its stock,
  // new orders expire after ORDER_PRESSURE_EXPIRY_SECONDS instead (long enough to pay by QR code).
  ORDER_PRESSURE_BPS: integer(5_000, 1, 10_000),
  ORDER_PRESSURE_EXPIRY_SECONDS: integer(180, 30, 7 * 24 * 3600),
  // Guessing throttles (docs/decisions.md, "Guessing throttles"): every attempt takes its
  // point before the secret is checked; a right answer gives it back. Guest order look-ups:
  // per order and client address (the tight limit: one client's wrong guesses lock out that
  // client only), per order from all clients (a guesser spread over many addresses: 30 per
  // 15 minutes is 2,880 a day, about 170 days for half of the smallest 6-digit query-password
  // space), and per client over all orders (one client probing many orders).
  LOOKUP_ATTEMPTS_MAX: integer(10, 1, 1000),
  LOOKUP_ORDER_ATTEMPTS_MAX: integer(30, 1, 100_000),
  LOOKUP_CLIENT_ATTEMPTS_MAX: integer(100, 1, 100_000),
  LOOKUP_WINDOW_SECONDS: integer(15 * 60, 1, 24 * 3600),
  // Logins, by the same three rules: per account and client, per account from all clients
  // (an argon2id-hashed password of at least 10 characters is far from a 50-per-window reach),
  // per client over all accounts (credential stuffing from one address).
  LOGIN_ATTEMPTS_MAX: integer(10, 1, 1000),
  LOGIN_ACCOUNT_ATTEMPTS_MAX: integer(50, 1, 100_000),
  LOGIN_CLIENT_ATTEMPTS_MAX: integer(100, 1, 100_000),
  LOGIN_WINDOW_SECONDS: integer(15 * 60, 1, 24 * 3600),
  // Storefront search (docs/discovery.md), per client address per minute: each search reads
  // up to two hundred candidates and their sales, so it costs more than a page read; typing
  // with the web's 250 ms debounce sends at most four a second, well below this.
  SEARCH_REQUESTS_PER_MINUTE_MAX: integer(120, 1, 100_000),
  // Order access tokens (the guest's bearer capability for an order page) expire: the
  // checkout's, the look-up's and the delivery mail's after this long (a guest then looks the
  // order up again with its query password), ...
  ORDER_ACCESS_TOKEN_TTL_SECONDS: integer(30 * 24 * 3600, 1, 365 * 24 * 3600),
  // ... and the one in the payment gateway's return URL (which passes through the gateway's
  // logs and the browser history) after this long: enough to pay an order before it expires.
  ORDER_RETURN_TOKEN_TTL_SECONDS: integer(3600, 1, 7 * 24 * 3600),
  SESSION_TTL_SECONDS: integer(7 * 24 * 3600, 60, 365 * 24 * 3600),
  // Account security (docs/accounts.md). Second-factor codes (TOTP, recovery codes) by the
  // login's rules: per account and client, and per account from all clients. 20 guesses per
  // 15 minutes against a code valid for 3 steps of 10^6 is 1 in 16,000 a window, about 1 in
  // 170 a day, and every wrong code is in the owner's login history.
  SECOND_FACTOR_ATTEMPTS_MAX: integer(5, 1, 1000),
  SECOND_FACTOR_ACCOUNT_ATTEMPTS_MAX: integer(20, 1, 100_000),
  SECOND_FACTOR_WINDOW_SECONDS: integer(15 * 60, 1, 24 * 3600),
  // Sign-ups that answer email_taken, per client address: each such answer tells whether an
  // email has an account, so probing costs one point; a sign-up that creates an account gives
  // its point back (docs/accounts.md, "Sign-up and enumeration").
  SIGNUP_TAKEN_ATTEMPTS_MAX: integer(10, 1, 100_000),
  SIGNUP_WINDOW_SECONDS: integer(3600, 1, 24 * 3600),
  // Password reset links are single-use and expire after this long.
  PASSWORD_RESET_TTL_SECONDS: integer(30 * 60, 60, 24 * 3600),
  // Reset requests per email and per client address in a window: bounds the mail one can
  // make the platform send to someone else.
  PASSWORD_RESET_EMAIL_ATTEMPTS_MAX: integer(3, 1, 1000),
  PASSWORD_RESET_CLIENT_ATTEMPTS_MAX: integer(20, 1, 100_000),
  PASSWORD_RESET_WINDOW_SECONDS: integer(3600, 1, 24 * 3600),
  // WebAuthn ceremonies (passkeys): a challenge is single-use and expires after this long.
  WEBAUTHN_CHALLENGE_TTL_SECONDS: integer(5 * 60, 10, 3600),

  // Quotas of self-service merchants (docs/abuse.md, "Merchant quotas"): anyone may sign up as a
  // merchant, so until an admin raises them a merchant owns at most this many shops and imports
  // at most this many batches and keys a day. The per-day quotas bound the operator's gas too:
  // each import is one batch anchor (about 45,000-70,000 gas) and each key sold one issuance.
  MERCHANT_SHOPS_MAX: integer(2, 0, 10_000),
  MERCHANT_IMPORTS_PER_DAY_MAX: integer(10, 0, 100_000),
  MERCHANT_KEYS_PER_DAY_MAX: integer(5_000, 0, 100_000_000),
  // Self-service merchants (docs/saas.md): plan limits (products, keys, sub-stores), the limits of
  // each verification level (daily sales, payouts, keys in stock) and a confirmed email before a
  // shop opens. "false" only for load from one machine (suites, benchmarks), like the quotas above.
  SAAS_LIMITS_ENFORCED: z.enum(["true", "false"]).default("true"),
  // A merchant's email confirmation link is single-use and expires after this long.
  EMAIL_CONFIRMATION_TTL_SECONDS: integer(24 * 3600, 60, 7 * 24 * 3600),
  // The DNS servers that prove a shop's custom domain (its TXT record), "host:port" comma-separated;
  // empty: the system's resolvers. Tests point it at a local DNS server.
  DNS_SERVERS: z.string().default(""),
  // Prices in other currencies (docs/currencies.md). The rates are the platform's manual table
  // (PUT /api/admin/fx-rates/:currency) unless a feed is set: then a quote or checkout that finds
  // the table's feed rates older than the age below fetches the feed first (2 s timeout).
  // Unset by default: no deployment depends on a third party's rates unless it chooses one.
  FX_RATE_FEED_URL: optionalString,
  // How old a feed's rates may be before they are fetched again (and, when the feed does not
  // answer, refused: a stale rate would sell at a price the platform no longer means).
  FX_RATE_FEED_MAX_AGE_SECONDS: integer(3600, 60, 7 * 24 * 3600),
  // The stablecoin's decimals (its token's decimals(): TestStablecoin has 6, as USDT and USDC).
  STABLECOIN_DECIMALS: integer(6, 0, 18),

  // Anti-money-laundering rules over the ledger (docs/compliance.md). Amounts are per currency
  // ("CNY:1000000,USD:150000", minor units): a payout at or above the threshold is held for review
  // (¥10,000 by default, the unverified payout limit's fifty times); this many payout requests of a
  // shop within the window are a velocity alert; this many payments at or below the small amount
  // from one payer to one shop within the window are structuring (¥50 by default: below every
  // plausible reporting threshold, above a typical game card); a shop's last day above this
  // factor times its daily average of the previous 30 days, and above the floor, is a spike. The
  // flagged wallets (comma-separated addresses) are added to the list admins keep.
  AML_PAYOUT_THRESHOLD_MINOR: z.string().default("CNY:1000000,USD:150000,EUR:130000,HKD:1100000"),
  AML_PAYOUT_VELOCITY_COUNT: integer(3, 2, 1000),
  AML_WINDOW_SECONDS: integer(24 * 3600, 60, 30 * 24 * 3600),
  AML_SMALL_PAYMENT_MINOR: z.string().default("CNY:5000,USD:700,EUR:650,HKD:5500"),
  AML_STRUCTURING_COUNT: integer(10, 2, 100_000),
  AML_SPIKE_FACTOR: integer(5, 2, 1000),
  AML_SPIKE_FLOOR_MINOR: z.string().default("CNY:100000,USD:15000,EUR:13000,HKD:110000"),
  AML_FLAGGED_WALLETS: z.string().default(""),
  // Data rights (docs/compliance.md, "Retention"): how long each kind of data is kept before the
  // retention job removes it. Sessions and login history serve security reviews (90 days is what
  // a breach investigation looks back); unpaid orders' contacts are only for their payment (30
  // days past expiry); closed support tickets' messages for after-sales (2 years, the consumer
  // warranty term); orders' contacts of paid guest orders for 5 years (tax and accounting records).
  RETENTION_LOGIN_HISTORY_DAYS: integer(90, 1, 36_500),
  RETENTION_UNPAID_ORDER_CONTACT_DAYS: integer(30, 1, 36_500),
  RETENTION_TICKET_MESSAGES_DAYS: integer(730, 1, 36_500),
  RETENTION_PAID_ORDER_CONTACT_DAYS: integer(1825, 1, 36_500),

  // Risk rules (docs/abuse.md, "Risk rules"): the default thresholds of the order risk score
  // (a product may set its own), and the score from which checkout needs the captcha.
  RISK_REVIEW_SCORE: integer(50, 0, 1000),
  RISK_BLOCK_SCORE: integer(80, 0, 1000),
  RISK_CAPTCHA_SCORE: integer(30, 0, 1000),
  // Proof-of-work captcha (ALTCHA, docs/abuse.md): the HMAC key that signs challenges (a secret:
  // required in production; elsewhere a random key per process, so challenges do not survive a
  // restart); the largest number a challenge hides (average work: half of it in SHA-256 hashes,
  // about 0.1 s in a browser at 100,000); how long a challenge may be solved and used.
  ALTCHA_HMAC_KEY: optionalString,
  // API keys (docs/api-keys.md): the HMAC key under which keys' secrets are hashed at rest (a
  // secret: required in production, since a plain hash of a leaked table could be checked
  // against guesses offline; elsewhere a random key per process, so keys do not survive a
  // restart); requests per key per minute (a script's bulk work, without letting one key take
  // the API from everyone); live keys per account (enough for one per integration).
  API_KEY_HASH_KEY: optionalString,
  API_KEY_REQUESTS_PER_MINUTE_MAX: integer(600, 1, 1_000_000),
  API_KEYS_PER_ACCOUNT_MAX: integer(20, 1, 1000),
  ALTCHA_MAX_NUMBER: integer(100_000, 10, 10_000_000),
  ALTCHA_CHALLENGE_TTL_SECONDS: integer(300, 10, 3600),
  // The captcha is required at login after this many failed attempts for the account from the
  // client (within the login window), and at sign-up after this many sign-ups from one client an hour.
  LOGIN_CAPTCHA_AFTER_FAILURES: integer(3, 0, 1000),
  SIGNUP_CAPTCHA_AFTER_PER_CLIENT: integer(3, 0, 1000),

  // Platform fee on every sale, in basis points of the amount.
  PLATFORM_FEE_BPS: integer(500, 0, 10_000),

  // Mail (optional): nodemailer SMTP URL, e.g. smtp://user:pass@host:587
  SMTP_URL: optionalString,
  MAIL_FROM: z.string().default("Keyledger <no-reply@keyledger.local>"),

  // After-sales tickets (docs/support.md). A merchant's first reply is due this long after a
  // ticket opens (then the ticket is flagged overdue); 24 hours is the common promise of
  // 发卡 platforms and marketplaces.
  SUPPORT_FIRST_REPLY_SECONDS: integer(24 * 3600, 1, 30 * 24 * 3600),
  // Attachments: at most this many bytes each (a phone screenshot is well below 2 MiB) and this
  // many per ticket, so a ticket cannot become file storage.
  SUPPORT_ATTACHMENT_BYTES_MAX: integer(2 * 1024 * 1024, 1024, 16 * 1024 * 1024),
  SUPPORT_ATTACHMENTS_PER_TICKET_MAX: integer(10, 1, 100),
  // A ticket's event stream (server-sent events) ends after this long and the browser's
  // EventSource reconnects with Last-Event-ID: a stream never pins a connection for ever.
  SUPPORT_STREAM_SECONDS_MAX: integer(300, 1, 3600),

  // Webhooks (docs/webhooks.md). A failed delivery is tried again after RETRY_BASE_MS, doubling
  // up to RETRY_MAX_MS, until WINDOW_SECONDS after its first attempt (24 hours: a receiver down
  // over a night or a weekend day still gets every event), then abandoned so the endpoint's
  // later events can go. A receiver gets TIMEOUT_MS to answer (a slow one must not hold its
  // endpoint's queue) and at most RESPONSE_BYTES_MAX of its answer is read. The dispatcher claims
  // BATCH_SIZE deliveries of an endpoint per query; DISPATCH_INTERVAL_MS is how often new events
  // are fanned out when no delivery loop is running; CONCURRENCY endpoints are delivered at once
  // per worker process. OVERLAP_SECONDS: how long a rotated-out secret still signs by default.
  WEBHOOK_RETRY_BASE_MS: integer(5_000, 10, 3_600_000),
  WEBHOOK_RETRY_MAX_MS: integer(3_600_000, 10, 24 * 3_600_000),
  WEBHOOK_RETRY_WINDOW_SECONDS: integer(24 * 3600, 1, 7 * 24 * 3600),
  WEBHOOK_TIMEOUT_MS: integer(10_000, 100, 60_000),
  WEBHOOK_RESPONSE_BYTES_MAX: integer(64 * 1024, 1024, 1024 * 1024),
  WEBHOOK_BATCH_SIZE: integer(200, 1, 5000),
  WEBHOOK_DISPATCH_INTERVAL_MS: integer(500, 20, 60_000),
  WEBHOOK_CONCURRENCY: integer(8, 1, 256),
  WEBHOOK_SECRET_OVERLAP_SECONDS: integer(24 * 3600, 0, 30 * 24 * 3600),

  // Import jobs
  IMPORT_KEYS_MAX: integer(100_000, 1, 1_000_000),
  KEY_LENGTH_MAX: integer(512, 8, 8192),

  // Ledger (docs/ledger.md). Group commit: most journal transactions per database
  // transaction, and batches in flight at once (each holds a pooled connection; on 2 cores
  // more than 2 only adds lock waits on hot accounts).
  LEDGER_BATCH_SIZE_MAX: integer(500, 1, 5000),
  LEDGER_BATCH_FLUSHES_MAX: integer(2, 1, 32),
  LEDGER_BATCH_WAIT_MS: integer(0, 0, 1000),
  // Entries queued beyond this are refused (retryable) instead of growing memory without bound.
  LEDGER_BATCH_QUEUE_MAX: integer(20_000, 1, 1_000_000),
  // The hasher chains at most this many entries per pass, and polls this often when idle.
  LEDGER_HASH_BATCH_SIZE_MAX: integer(2000, 1, 100_000),
  LEDGER_HASH_IDLE_INTERVAL_MS: integer(200, 10, 60_000),
  // How often the anchor job runs, and the fewest new entries worth an on-chain anchor.
  LEDGER_ANCHOR_INTERVAL_SECONDS: integer(300, 1, 7 * 24 * 3600),
  LEDGER_ANCHOR_ENTRIES_MIN: integer(1, 1, 1_000_000),
  // Payout requests not approved within this time expire (their hold is voided).
  LEDGER_PAYOUT_HOLD_SECONDS: integer(7 * 24 * 3600, 60, 365 * 24 * 3600),
  // How far a shop selling on its own EPay gateway (merchant-collected) may run up unpaid
  // platform fees beyond its prepaid balance before checkout on that gateway stops, in minor
  // units of the sale's currency: 100.00 CNY is about 2,000 sales of 1 CNY at 5%, a day of a
  // small shop, so a merchant has time to top up without the platform extending real credit.
  LEDGER_MERCHANT_FEE_CREDIT_MINOR: integer(10_000, 0, 1_000_000_000),

  // Disputes (docs/disputes.md). Either party may escalate a dispute to the platform within this
  // time of its opening (a week: long enough for a merchant's answer and a buyer's reply).
  DISPUTE_ESCALATION_WINDOW_SECONDS: integer(7 * 24 * 3600, 60, 90 * 24 * 3600),
  // Once escalated, the other party has this long to answer; silence decides for the escalating side.
  DISPUTE_ANSWER_SECONDS: integer(3 * 24 * 3600, 60, 30 * 24 * 3600),
  // Reputation: a shop whose dispute rate (disputes per paid order, basis points) is above this,
  // over at least REPUTATION_ORDERS_MIN paid orders (fewer say nothing), has its new sales' proceeds
  // held REPUTATION_HOLD_FACTOR times the category's window.
  REPUTATION_DISPUTE_RATE_THRESHOLD_BPS: integer(500, 0, 10_000),
  REPUTATION_ORDERS_MIN: integer(20, 1, 1_000_000),
  REPUTATION_HOLD_FACTOR: integer(2, 1, 10),
  // Distribution (docs/distribution.md). An agent's markup and a referrer's commission stay held
  // this long after the sale, the same chargeback window as a reseller's proceeds (14 days).
  LEDGER_DISTRIBUTION_HOLD_SECONDS: integer(14 * 24 * 3600, 0, 365 * 24 * 3600),
  // A buyer stays attached to the referrer whose link it arrived by (first touch) this long; a
  // link followed after that attaches anew. 90 days: a season of purchases, as peers do.
  DISTRIBUTION_REFERRAL_DAYS: integer(90, 1, 3650),
  // An agent invitation link can be accepted this long after the merchant made it.
  DISTRIBUTION_INVITATION_HOURS: integer(7 * 24, 1, 90 * 24),

  // Resale (docs/resale.md). A seller's proceeds stay held this long after a resale: the
  // chargeback window (payment disputes arrive within days; 14 days covers the usual cases).
  RESALE_HOLD_SECONDS: integer(14 * 24 * 3600, 0, 365 * 24 * 3600),
  // A buyer's checkout reserves a listing this long; the other buyers are refused meanwhile.
  RESALE_PURCHASE_EXPIRY_SECONDS: integer(15 * 60, 5, 24 * 3600),
  // Bounded listing pages and timelines.
  RESALE_PAGE_SIZE_MAX: integer(100, 1, 1000),
  // The platform's own EPay merchant, which takes resale payments (shop-independent). Unset:
  // the sandbox gateway (EPAY_SANDBOX_SECRET) with this pid, for the demo and tests.
  RESALE_EPAY_GATEWAY_URL: optionalString,
  RESALE_EPAY_PID: z
    .string()
    .regex(/^[0-9A-Za-z_-]{1,32}$/)
    .default("990001"),
  RESALE_EPAY_KEY: optionalString,
  // Sign-In With Ethereum nonces live this long; wallet reveal signatures may be valid at most
  // this long ahead (their deadline), which bounds a leaked signature's use.
  SIWE_NONCE_TTL_SECONDS: integer(10 * 60, 10, 24 * 3600),
  WALLET_SIGNATURE_TTL_SECONDS_MAX: integer(15 * 60, 10, 24 * 3600),
});

export type Env = z.infer<typeof envSchema>;

export type Config = ReturnType<typeof buildConfig>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses and validates the environment once. Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(withDeploymentFile(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  return buildConfig(parsed.data);
}

function buildConfig(env: Env) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      host: env.HOST,
      port: env.PORT,
      publicUrl: publicUrlOf(env),
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      importBodyLimitBytes: env.HTTP_IMPORT_BODY_LIMIT_BYTES,
    },
    database: env.DATABASE_URL
      ? ({ url: env.DATABASE_URL, poolSizeMax: env.DATABASE_POOL_SIZE_MAX } as const)
      : ({ dataDir: `${env.DATA_DIR}/pglite` } as const),
    databaseReplica: env.DATABASE_REPLICA_URL ? { url: env.DATABASE_REPLICA_URL, waitMs: env.DATABASE_REPLICA_WAIT_MS } : undefined,
    dataDir: env.DATA_DIR,
    redis: {
      url: env.REDIS_URL,
      sentinels: env.REDIS_SENTINELS?.split(",").map((entry) => {
        const [host, port] = entry.trim().split(":");
        return { host: host!, port: Number(port) };
      }),
      sentinelName: env.REDIS_SENTINEL_NAME,
      prefix: env.QUEUE_PREFIX,
      jobLockDurationMs: env.JOB_LOCK_DURATION_MS,
      enqueueTimeoutMs: env.JOB_ENQUEUE_TIMEOUT_MS,
      throttleTimeoutMs: env.THROTTLE_REDIS_TIMEOUT_MS,
      schedulerCheckIntervalMs: env.JOB_SCHEDULER_CHECK_INTERVAL_MS,
    },
    shutdown: { deadlineMs: env.SHUTDOWN_DEADLINE_MS },
    observability: {
      healthPort: env.HEALTH_PORT,
      healthHost: env.HEALTH_HOST,
      metricsToken: env.METRICS_TOKEN,
      readyQueueAgeSecondsMax: env.READY_QUEUE_AGE_SECONDS_MAX,
      readyIndexerLagBlocksMax: env.READY_INDEXER_LAG_BLOCKS_MAX,
      readyCheckTimeoutMs: env.READY_CHECK_TIMEOUT_MS,
    },
    chain: {
      rpcUrl: env.CHAIN_RPC_URL,
      publicRpcUrl: env.PUBLIC_RPC_URL,
      registryAddress: env.REGISTRY_ADDRESS as `0x${string}` | undefined,
      entitlementAddress: env.ENTITLEMENT_ADDRESS as `0x${string}` | undefined,
      paymentAddress: env.PAYMENT_ADDRESS as `0x${string}` | undefined,
      stablecoinAddress: env.STABLECOIN_ADDRESS as `0x${string}` | undefined,
      stablecoinCurrency: env.STABLECOIN_CURRENCY,
      ledgerAnchorAddress: env.LEDGER_ANCHOR_ADDRESS as `0x${string}` | undefined,
      deploymentBlock: BigInt(env.DEPLOYMENT_BLOCK),
      operatorKey: env.CHAIN_OPERATOR_KEY ? (normaliseHex(env.CHAIN_OPERATOR_KEY) as `0x${string}`) : undefined,
      custodianAddress: env.CUSTODIAN_ADDRESS as `0x${string}` | undefined,
      issueBatchSizeMax: env.ISSUE_BATCH_SIZE_MAX,
      issueBatchWaitMs: env.ISSUE_BATCH_WAIT_MS,
    },
    indexer: {
      rangeBlocksInitial: env.INDEXER_RANGE_BLOCKS_INITIAL,
      rangeBlocksMin: env.INDEXER_RANGE_BLOCKS_MIN,
      rangeBlocksMax: env.INDEXER_RANGE_BLOCKS_MAX,
      concurrency: env.INDEXER_CONCURRENCY,
      responseBytesMax: env.INDEXER_RESPONSE_BYTES_MAX,
      logsPerRangeTarget: env.INDEXER_LOGS_PER_RANGE_TARGET,
      rpcRetriesMax: env.INDEXER_RPC_RETRIES_MAX,
      rpcBackoffMs: env.INDEXER_RPC_BACKOFF_MS,
      rpcBackoffMsMax: env.INDEXER_RPC_BACKOFF_MS_MAX,
      rpcTimeoutMs: env.INDEXER_RPC_TIMEOUT_MS,
      pollIntervalMs: env.INDEXER_POLL_INTERVAL_MS,
      blocksPerPollMax: env.INDEXER_BLOCKS_PER_POLL_MAX,
      finalityDepth: env.INDEXER_FINALITY_DEPTH,
      useFinalizedTag: env.INDEXER_USE_FINALIZED_TAG === "true",
      standbyPollMs: env.INDEXER_STANDBY_POLL_MS,
      chainId: env.INDEXER_CHAIN_ID,
      pageSizeMax: env.CHAIN_PAGE_SIZE_MAX,
      reconcileIntervalMs: env.INDEXER_RECONCILE_INTERVAL_MS,
    },
    secrets: {
      masterKey: env.MASTER_KEY,
      masterKeyId: env.MASTER_KEY_ID,
      previousMasterKeys: env.PREVIOUS_MASTER_KEYS,
      queryPasswordPepper: env.QUERY_PASSWORD_PEPPER,
    },
    orders: {
      expirySeconds: env.ORDER_EXPIRY_SECONDS,
      quantityMax: env.ORDER_QUANTITY_MAX,
      platformFeeBps: env.PLATFORM_FEE_BPS,
      accessTokenTtlSeconds: env.ORDER_ACCESS_TOKEN_TTL_SECONDS,
      returnTokenTtlSeconds: env.ORDER_RETURN_TOKEN_TTL_SECONDS,
      unpaidHolds: {
        perContactMax: env.ORDER_UNPAID_PER_CONTACT_MAX,
        perClientMax: env.ORDER_UNPAID_PER_CLIENT_MAX,
        shareBps: env.ORDER_HOLD_SHARE_BPS,
        pressureBps: env.ORDER_PRESSURE_BPS,
        pressureExpirySeconds: env.ORDER_PRESSURE_EXPIRY_SECONDS,
      },
    },
    sessions: { ttlSeconds: env.SESSION_TTL_SECONDS },
    accountSecurity: {
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL_SECONDS,
      webauthnChallengeTtlSeconds: env.WEBAUTHN_CHALLENGE_TTL_SECONDS,
    },
    risk: { reviewScore: env.RISK_REVIEW_SCORE, blockScore: env.RISK_BLOCK_SCORE, captchaScore: env.RISK_CAPTCHA_SCORE },
    captcha: {
      hmacKey: captchaHmacKeyOf(env),
      maxNumber: env.ALTCHA_MAX_NUMBER,
      ttlSeconds: env.ALTCHA_CHALLENGE_TTL_SECONDS,
      loginAfterFailures: env.LOGIN_CAPTCHA_AFTER_FAILURES,
      signupAfterPerClient: env.SIGNUP_CAPTCHA_AFTER_PER_CLIENT,
    },
    apiKeys: {
      hashKey: apiKeyHashKeyOf(env),
      requestsPerMinuteMax: env.API_KEY_REQUESTS_PER_MINUTE_MAX,
      keysPerAccountMax: env.API_KEYS_PER_ACCOUNT_MAX,
    },
    merchants: {
      quotas: { shopsMax: env.MERCHANT_SHOPS_MAX, importsPerDayMax: env.MERCHANT_IMPORTS_PER_DAY_MAX, keysPerDayMax: env.MERCHANT_KEYS_PER_DAY_MAX },
      saas: {
        limitsEnforced: env.SAAS_LIMITS_ENFORCED === "true",
        emailConfirmationTtlSeconds: env.EMAIL_CONFIRMATION_TTL_SECONDS,
        dnsServers: env.DNS_SERVERS.split(",")
          .map((server) => server.trim())
          .filter((server) => server !== ""),
      },
      fx: {
        feedUrl: env.FX_RATE_FEED_URL,
        feedMaxAgeSeconds: env.FX_RATE_FEED_MAX_AGE_SECONDS,
        stablecoin: { currency: env.STABLECOIN_CURRENCY, decimals: env.STABLECOIN_DECIMALS },
      },
    },
    compliance: {
      aml: {
        payoutThresholdMinor: amountsByCurrency("AML_PAYOUT_THRESHOLD_MINOR", env.AML_PAYOUT_THRESHOLD_MINOR),
        payoutVelocityCount: env.AML_PAYOUT_VELOCITY_COUNT,
        windowSeconds: env.AML_WINDOW_SECONDS,
        smallPaymentMinor: amountsByCurrency("AML_SMALL_PAYMENT_MINOR", env.AML_SMALL_PAYMENT_MINOR),
        structuringCount: env.AML_STRUCTURING_COUNT,
        spikeFactor: env.AML_SPIKE_FACTOR,
        spikeFloorMinor: amountsByCurrency("AML_SPIKE_FLOOR_MINOR", env.AML_SPIKE_FLOOR_MINOR),
        flaggedWallets: walletList(env.AML_FLAGGED_WALLETS),
      },
      retention: {
        loginHistoryDays: env.RETENTION_LOGIN_HISTORY_DAYS,
        unpaidOrderContactDays: env.RETENTION_UNPAID_ORDER_CONTACT_DAYS,
        ticketMessagesDays: env.RETENTION_TICKET_MESSAGES_DAYS,
        paidOrderContactDays: env.RETENTION_PAID_ORDER_CONTACT_DAYS,
      },
    },
    throttles: {
      searchRequestsPerMinuteMax: env.SEARCH_REQUESTS_PER_MINUTE_MAX,
      lookup: {
        attemptsPerOrderAndClientMax: env.LOOKUP_ATTEMPTS_MAX,
        attemptsPerOrderMax: env.LOOKUP_ORDER_ATTEMPTS_MAX,
        attemptsPerClientMax: env.LOOKUP_CLIENT_ATTEMPTS_MAX,
        windowSeconds: env.LOOKUP_WINDOW_SECONDS,
      },
      login: {
        attemptsPerAccountAndClientMax: env.LOGIN_ATTEMPTS_MAX,
        attemptsPerAccountMax: env.LOGIN_ACCOUNT_ATTEMPTS_MAX,
        attemptsPerClientMax: env.LOGIN_CLIENT_ATTEMPTS_MAX,
        windowSeconds: env.LOGIN_WINDOW_SECONDS,
      },
      secondFactor: {
        attemptsPerAccountAndClientMax: env.SECOND_FACTOR_ATTEMPTS_MAX,
        attemptsPerAccountMax: env.SECOND_FACTOR_ACCOUNT_ATTEMPTS_MAX,
        windowSeconds: env.SECOND_FACTOR_WINDOW_SECONDS,
      },
      signupTaken: { attemptsPerClientMax: env.SIGNUP_TAKEN_ATTEMPTS_MAX, windowSeconds: env.SIGNUP_WINDOW_SECONDS },
      passwordReset: {
        attemptsPerEmailMax: env.PASSWORD_RESET_EMAIL_ATTEMPTS_MAX,
        attemptsPerClientMax: env.PASSWORD_RESET_CLIENT_ATTEMPTS_MAX,
        windowSeconds: env.PASSWORD_RESET_WINDOW_SECONDS,
      },
    },
    payments: { epaySandboxSecret: env.EPAY_SANDBOX_SECRET },
    mail: { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM },
    imports: { keysMax: env.IMPORT_KEYS_MAX, keyLengthMax: env.KEY_LENGTH_MAX },
    webhooks: {
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: env.WEBHOOK_RETRY_MAX_MS,
      retryWindowMs: env.WEBHOOK_RETRY_WINDOW_SECONDS * 1000,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      responseBytesMax: env.WEBHOOK_RESPONSE_BYTES_MAX,
      batchSize: env.WEBHOOK_BATCH_SIZE,
      dispatchIntervalMs: env.WEBHOOK_DISPATCH_INTERVAL_MS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      secretOverlapSeconds: env.WEBHOOK_SECRET_OVERLAP_SECONDS,
      // Loopback receivers are for development and the suites; production refuses them (SSRF).
      allowLoopback: env.NODE_ENV !== "production",
    },
    support: {
      firstReplySeconds: env.SUPPORT_FIRST_REPLY_SECONDS,
      attachmentBytesMax: env.SUPPORT_ATTACHMENT_BYTES_MAX,
      attachmentsPerTicketMax: env.SUPPORT_ATTACHMENTS_PER_TICKET_MAX,
      streamSecondsMax: env.SUPPORT_STREAM_SECONDS_MAX,
    },
    ledger: {
      batchSizeMax: env.LEDGER_BATCH_SIZE_MAX,
      flushesInFlightMax: env.LEDGER_BATCH_FLUSHES_MAX,
      batchWaitMs: env.LEDGER_BATCH_WAIT_MS,
      queueLengthMax: env.LEDGER_BATCH_QUEUE_MAX,
      hashBatchSizeMax: env.LEDGER_HASH_BATCH_SIZE_MAX,
      hashIdleIntervalMs: env.LEDGER_HASH_IDLE_INTERVAL_MS,
      anchorIntervalSeconds: env.LEDGER_ANCHOR_INTERVAL_SECONDS,
      anchorEntriesMin: env.LEDGER_ANCHOR_ENTRIES_MIN,
      payoutHoldSeconds: env.LEDGER_PAYOUT_HOLD_SECONDS,
      merchantFeeCreditMinor: BigInt(env.LEDGER_MERCHANT_FEE_CREDIT_MINOR),
      distributionHoldSeconds: env.LEDGER_DISTRIBUTION_HOLD_SECONDS,
    },
    distribution: {
      referralDays: env.DISTRIBUTION_REFERRAL_DAYS,
      invitationHours: env.DISTRIBUTION_INVITATION_HOURS,
    },
    disputes: {
      escalationWindowSeconds: env.DISPUTE_ESCALATION_WINDOW_SECONDS,
      answerSeconds: env.DISPUTE_ANSWER_SECONDS,
      reputation: {
        disputeRateThresholdBps: env.REPUTATION_DISPUTE_RATE_THRESHOLD_BPS,
        ordersMin: env.REPUTATION_ORDERS_MIN,
        holdFactor: env.REPUTATION_HOLD_FACTOR,
      },
    },
    resale: {
      holdSeconds: env.RESALE_HOLD_SECONDS,
      purchaseExpirySeconds: env.RESALE_PURCHASE_EXPIRY_SECONDS,
      pageSizeMax: env.RESALE_PAGE_SIZE_MAX,
      epayGatewayUrl: env.RESALE_EPAY_GATEWAY_URL,
      epayPid: env.RESALE_EPAY_PID,
      epayKey: env.RESALE_EPAY_KEY,
      siweNonceTtlSeconds: env.SIWE_NONCE_TTL_SECONDS,
      walletSignatureTtlSecondsMax: env.WALLET_SIGNATURE_TTL_SECONDS_MAX,
    },
  };
}

/**
 * The environment with the chain settings of DEPLOYMENT_FILE (written by `keyledger deploy`,
 * scripts/cli/commands/deploy.ts) filled in where the variable itself is unset.
 */
function withDeploymentFile(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const file = env.DEPLOYMENT_FILE?.trim();
  if (!file) return env;
  let variables: Record<string, string>;
  try {
    variables = deploymentFileVariables(JSON.parse(readFileSync(file, "utf8")));
  } catch (error) {
    throw new ConfigError(`DEPLOYMENT_FILE ${file} cannot be read: ${(error as Error).message}. Write it with \`keyledger deploy --out ${file}\`.`);
  }
  const filled = { ...env };
  for (const [name, value] of Object.entries(variables)) if (filled[name] === undefined || filled[name]?.trim() === "") filled[name] = value;
  return filled;
}

/** The deployment file's format (version 1), as the variables it stands for. */
export type DeploymentFile = {
  version: 1;
  chainId: number;
  deploymentBlock: string;
  contracts: { registry: string; entitlement: string; payment: string; stablecoin: string; ledgerAnchor: string };
  custodian: string;
};

/** The variables a deployment file stands for (refused unless it is a version 1 file). */
export function deploymentFileVariables(value: unknown): Record<string, string> {
  const file = value as Partial<DeploymentFile>;
  if (file?.version !== 1 || !file.contracts || typeof file.deploymentBlock !== "string" || typeof file.chainId !== "number") {
    throw new Error("not a version 1 deployment file (version, chainId, deploymentBlock, contracts, custodian)");
  }
  return {
    REGISTRY_ADDRESS: file.contracts.registry,
    ENTITLEMENT_ADDRESS: file.contracts.entitlement,
    PAYMENT_ADDRESS: file.contracts.payment,
    STABLECOIN_ADDRESS: file.contracts.stablecoin,
    LEDGER_ANCHOR_ADDRESS: file.contracts.ledgerAnchor,
    DEPLOYMENT_BLOCK: file.deploymentBlock,
    INDEXER_CHAIN_ID: String(file.chainId),
    ...(file.custodian ? { CUSTODIAN_ADDRESS: file.custodian } : {}),
  };
}

/** "CNY:1000000,USD:150000" as a map of currency to minor units; a malformed entry stops the start. */
function amountsByCurrency(name: string, text: string): Record<string, bigint> {
  const amounts: Record<string, bigint> = {};
  for (const part of text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")) {
    const match = /^([A-Z]{3,5}):([0-9]{1,16})$/.exec(part);
    if (!match) throw new Error(`${name}: "${part}" is not CURRENCY:amount (minor units), e.g. CNY:1000000`);
    amounts[match[1]!] = BigInt(match[2]!);
  }
  return amounts;
}

function walletList(text: string): string[] {
  const wallets = text
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  for (const wallet of wallets) if (!/^0x[0-9a-f]{40}$/.test(wallet)) throw new Error(`AML_FLAGGED_WALLETS: "${wallet}" is not a 0x address`);
  return wallets;
}

function publicUrlOf(env: Env): string {
  if (env.PUBLIC_URL) return env.PUBLIC_URL.replace(/\/$/, "");
  if (env.NODE_ENV === "production") {
    throw new ConfigError(
      "PUBLIC_URL is not set. Set it to the platform's public origin, e.g. https://shop.example: links and the SIWE domain come from it, never from a request's Host header.",
    );
  }
  // A listener on every interface is reached locally through the loopback address.
  const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST;
  return `http://${host}:${env.PORT}`;
}

function captchaHmacKeyOf(env: Env): string {
  if (env.ALTCHA_HMAC_KEY) return env.ALTCHA_HMAC_KEY;
  if (env.NODE_ENV === "production") {
    throw new ConfigError("ALTCHA_HMAC_KEY is not set. Set it to a long random string (e.g. `openssl rand -hex 32`): it signs the captcha challenges.");
  }
  // Development and tests: a random key per process, never a known value.
  return randomBytes(32).toString("hex");
}

function apiKeyHashKeyOf(env: Env): string {
  if (env.API_KEY_HASH_KEY) return env.API_KEY_HASH_KEY;
  if (env.NODE_ENV === "production") {
    throw new ConfigError("API_KEY_HASH_KEY is not set. Set it to a long random string (e.g. `openssl rand -hex 32`): API keys' secrets are hashed under it.");
  }
  // Development and tests: a random key per process, never a known value.
  return randomBytes(32).toString("hex");
}

function normaliseHex(value: string): string {
  return value.startsWith("0x") ? value : `0x${value}`;
}

/**
 * Returns the named secret or throws a ConfigError naming the variable. Entry points call
 * this at start for every secret they need, so a missing secret fails before any work.
 */
/**
 * Whether every HTTP answer is checked against its declared schema (api/http/responseCheck.ts):
 * always in the test suites (NODE_ENV=test), on demand with RESPONSE_CHECK=1, off in production
 * because it parses every body a second time. Read once, when the HTTP layer loads, since the
 * route declarations consult it before any configuration object exists.
 */
export function responseCheckFromEnvironment(env: Record<string, string | undefined> = process.env): boolean {
  return env.NODE_ENV === "test" || env.RESPONSE_CHECK === "1";
}

export function requireSetting<T>(value: T | undefined, variable: string, hint: string): T {
  if (value === undefined) {
    throw new ConfigError(`${variable} is not set. ${hint}`);
  }
  return value;
}
